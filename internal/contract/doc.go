// Package contract is everything that crosses Temporal: the names of
// workflows, updates, queries and activities, the requests clients send, the
// results they get back, and the payloads workflows pass to activities. The
// web server, the service layer, the workflows and the activities all speak
// it, so none of them imports another for its types; it depends on nothing
// but domain, so workflows stay free of pgx and OPA.
//
// Payload JSON is recorded in workflow histories: a field renamed here breaks
// the replay of running workflows, so shapes change only behind
// workflow.GetVersion.
package contract
