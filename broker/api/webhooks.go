package api

// webhookRoutes registers the webhook API (being written).
func (s *Server) webhookRoutes() {}
