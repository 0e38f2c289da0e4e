"""Everything that touches the world outside the models: disk, network, speakers."""
