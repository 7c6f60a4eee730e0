"""Display (a wing on the core): names, explanations, Graphviz pictures and the step-through
page. It imports the core and the rules, never the other wings."""
