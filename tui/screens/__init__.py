"""Full screens: the help screen and the too-small overlay."""
