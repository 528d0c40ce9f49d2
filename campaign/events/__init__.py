"""Events: planning by organizers, listing and detail pages for the public."""
