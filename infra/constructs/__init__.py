"""One construct per capability; stacks only compose these."""
