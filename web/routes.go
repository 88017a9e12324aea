package web

// routes lists every route the server answers; openapi_test.go checks that
// this list and the OpenAPI document agree.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/api/openapi.yaml", s.openAPI)
	e.GET("/api/v1/schemas/manifest.json", s.manifestSchema)

	api := e.Group("/api/v1", s.authenticate)
	api.GET("/me", s.me)
	api.POST("/solicitations", s.createSolicitation)
	api.GET("/solicitations", s.listSolicitations)
	api.GET("/solicitations/:id", s.getSolicitation)
	api.POST("/solicitations/:id/publish", s.publishSolicitation)
	api.POST("/solicitations/:id/bids", s.submitBid)
	api.GET("/solicitations/:id/bids", s.listBids)
	api.GET("/solicitations/:id/audit", s.auditTrail)
	api.GET("/bids/:id", s.getBid)
	api.GET("/bids/:id/evaluations", s.bidEvaluations)
	api.GET("/tasks", s.listTasks)
	api.GET("/tasks/:id", s.getTask)
	api.POST("/tasks/:id/decision", s.decideTask)
}
