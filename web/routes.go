package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/modeltender/modeltender/web/ui"
)

// routes lists every route the server answers; openapi_test.go checks that
// the API part of this list and the OpenAPI document agree.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.tel != nil {
		e.GET("/metrics", echo.WrapHandler(s.tel.Handler()))
	}
	e.GET("/api/openapi.yaml", s.openAPI)
	e.GET("/api/v1/schemas/manifest.json", s.manifestSchema)

	api := e.Group("/api/v1", s.authenticate)
	api.GET("/me", s.me)
	api.GET("/use-cases", s.listUseCases)
	api.GET("/policy-packs", s.listPolicyPacks)
	api.POST("/solicitations", handle(http.StatusCreated, s.createSolicitation))
	api.GET("/solicitations", plain(s.listSolicitations))
	api.GET("/solicitations/:id", plain(s.getSolicitation))
	api.GET("/solicitations/:id/requirements", plain(s.solicitationRequirements))
	api.PATCH("/solicitations/:id", handle(http.StatusOK, s.updateSolicitation))
	api.POST("/solicitations/:id/publish", plain(s.publishSolicitation))
	api.POST("/solicitations/:id/bids", handle(http.StatusCreated, s.submitBid))
	api.GET("/solicitations/:id/bids", plain(s.listBids))
	api.GET("/solicitations/:id/audit", plain(s.auditTrail))
	api.GET("/bids/:id", plain(s.getBid))
	api.GET("/bids/:id/evaluations", plain(s.bidEvaluations))
	api.GET("/evaluations/:id/replay", plain(s.replayEvaluation))
	api.GET("/tasks", plain(s.listTasks))
	api.GET("/tasks/:id", plain(s.getTask))
	api.POST("/tasks/:id/decision", handle(http.StatusOK, s.decideTask))
	api.POST("/tasks/:id/clarification", handle(http.StatusCreated, s.requestClarification))
	api.POST("/clarifications/:id/answer", handle(http.StatusOK, s.answerClarification))
	api.POST("/conflicts", handle(http.StatusCreated, s.declareConflict))
	api.POST("/conflicts/:org/withdraw", handle(http.StatusOK, s.withdrawConflict))
	api.POST("/tasks/:id/assignments", handle(http.StatusOK, s.assignReviewer))
	api.POST("/tasks/:id/exception", handle(http.StatusOK, s.approveWithException))

	api.POST("/solicitations/:id/questions", handle(http.StatusCreated, s.askQuestion))
	api.GET("/solicitations/:id/questions", plain(s.listQuestions))
	api.POST("/solicitations/:id/questions/:qid/answer", handle(http.StatusOK, s.answerQuestion))
	api.POST("/solicitations/:id/amendments", handle(http.StatusCreated, s.amendSolicitation))
	api.GET("/solicitations/:id/amendments", plain(s.listAmendments))
	api.POST("/solicitations/:id/cancel", handle(http.StatusOK, s.cancelSolicitation))
	api.GET("/solicitations/:id/ranking", plain(s.ranking))
	api.POST("/solicitations/:id/award", handle(http.StatusCreated, s.recommendAward))
	api.POST("/solicitations/:id/fit", handle(http.StatusOK, s.scoreFit))
	api.GET("/solicitations/:id/awards", plain(s.listAwards))
	api.POST("/awards/:id/delivery", s.checkDelivery)
	api.POST("/awards/:id/notices", handle(http.StatusAccepted, s.notifyChange))
	api.POST("/awards/:id/reports", handle(http.StatusAccepted, s.reportOutput))
	api.POST("/solicitations/:id/protests", handle(http.StatusCreated, s.fileProtest))
	api.GET("/solicitations/:id/protests", plain(s.listProtests))
	api.POST("/solicitations/:id/protests/:pid/decision", handle(http.StatusOK, s.resolveProtest))
	api.POST("/bids/:id/revisions", handle(http.StatusCreated, s.reviseBid))
	api.POST("/bids/:id/withdraw", plain(s.withdrawBid))
	api.POST("/bids/:id/confirm", plain(s.confirmBid))
	api.GET("/bids/:id/precheck", plain(s.precheck))
	api.GET("/bids/:id/clarifications", plain(s.listClarifications))
	// The published notice is public.
	e.GET("/api/v1/solicitations/:id/ocds", s.ocdsNotice)

	// The web UI: HTML pages for people, signed in with a session cookie;
	// every form carries a CSRF token.
	e.StaticFS("/static", ui.Static())
	e.GET("/favicon.ico", favicon)
	e.GET("/login", s.loginPage, securityHeaders, csrfProtect)
	e.POST("/login", s.login, securityHeaders, csrfProtect)
	s.pageRoute(http.MethodPost, "/logout", s.logout)
	s.publicRoute("/", s.front) // a visitor who is not signed in sees the published solicitations
	s.publicRoute("/public/solicitations", s.publicListPage)
	s.publicRoute("/public/solicitations/:id", s.publicSolicitationPage)
	s.publicRoute("/public/solicitations/:id/award", s.publicAwardPage)
	s.pageRoute(http.MethodGet, "/solicitations", s.solicitationsPage)
	s.pageRoute(http.MethodGet, "/solicitations/new", s.newSolicitationPage)
	s.pageRoute(http.MethodPost, "/solicitations", s.createSolicitationForm)
	s.pageRoute(http.MethodGet, "/solicitations/:id", s.solicitationPage)
	s.pageRoute(http.MethodGet, "/solicitations/:id/edit", s.editDraftPage)
	s.pageRoute(http.MethodPost, "/solicitations/:id/edit", s.editDraftForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/publish", s.publishForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/bids", s.submitBidForm)
	s.pageRoute(http.MethodGet, "/solicitations/:id/board", s.boardPage)
	s.pageRoute(http.MethodGet, "/solicitations/:id/audit", s.auditPage)
	s.pageRoute(http.MethodGet, "/bids/:id", s.bidPage)
	s.pageRoute(http.MethodGet, "/tasks", s.inboxPage)
	s.pageRoute(http.MethodGet, "/tasks/:id", s.taskPage)
	s.pageRoute(http.MethodPost, "/tasks/:id/decision", s.decideForm)
	// The lifecycle: each form performs the same action as its API endpoint.
	s.pageRoute(http.MethodPost, "/solicitations/:id/questions", s.askForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/questions/:qid/answer", s.answerForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/amendments", s.amendForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/cancel", s.cancelForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/fit", s.fitForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/award", s.recommendForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/protests", s.protestForm)
	s.pageRoute(http.MethodPost, "/solicitations/:id/protests/:pid/decision", s.resolveForm)
	s.pageRoute(http.MethodPost, "/bids/:id/revisions", s.reviseForm)
	s.pageRoute(http.MethodGet, "/bids/:id/candidates/:cid/evidence", s.evidencePage)
	s.pageRoute(http.MethodPost, "/bids/:id/candidates/:cid/evidence", s.addEvidenceForm)
	s.pageRoute(http.MethodPost, "/bids/:id/withdraw", s.withdrawForm)
	s.pageRoute(http.MethodPost, "/bids/:id/confirm", s.confirmForm)
	s.pageRoute(http.MethodPost, "/bids/:id/clarifications/:cid/answer", s.answerClarificationForm)
	s.pageRoute(http.MethodPost, "/tasks/:id/clarification", s.clarifyForm)
	s.pageRoute(http.MethodGet, "/conflicts", s.conflictsPage)
	s.pageRoute(http.MethodGet, "/licenses/:id", s.licensePage)
	s.pageRoute(http.MethodPost, "/conflicts", s.declareForm)
	s.pageRoute(http.MethodPost, "/conflicts/:org/withdraw", s.withdrawConflictForm)
	s.pageRoute(http.MethodPost, "/tasks/:id/assignments", s.assignForm)
	s.pageRoute(http.MethodPost, "/tasks/:id/exception", s.exceptionForm)
	s.pageRoute(http.MethodGet, "/awards/:id/delivery", s.deliveryPage)
	s.pageRoute(http.MethodPost, "/awards/:id/delivery", s.deliveryForm)
	s.pageRoute(http.MethodPost, "/awards/:id/reports", s.reportForm)
	s.pageRoute(http.MethodPost, "/bids/:id/notices", s.notifyForm)
}
