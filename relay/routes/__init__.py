"""One router per resource; relay.app includes them all."""
