package e2e

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/modeltender/modeltender/workflows"
)

// recordHistoriesEnv, when set, makes the journey write the histories it
// produced into workflows/testdata, where the replay tests pick them up.
const recordHistoriesEnv = "MODELTENDER_RECORD_HISTORIES"

// replayAndRecord fetches the history of each workflow, replays it against
// the current workflow code (a non-determinism error fails the test), and
// saves it under workflows/testdata when asked to.
func (s *stack) replayAndRecord(names map[string]string) {
	s.t.Helper()
	replayer := worker.NewWorkflowReplayer()
	workflows.RegisterReplay(replayer)
	logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	for id, file := range names {
		h := s.history(id)
		if err := replayer.ReplayWorkflowHistory(logger, h); err != nil {
			s.t.Fatalf("replay %s: %v", id, err)
		}
		if os.Getenv(recordHistoriesEnv) == "" {
			continue
		}
		b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
		if err != nil {
			s.t.Fatal(err)
		}
		path := filepath.Join("..", "..", "workflows", "testdata", file)
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			s.t.Fatal(err)
		}
		s.t.Logf("recorded %s into %s", id, path)
	}
}

func (s *stack) history(workflowID string) *history.History {
	s.t.Helper()
	iter := s.app.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, 0)
	h := &history.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			s.t.Fatalf("history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	if len(h.Events) == 0 || !strings.Contains(h.Events[0].GetEventType().String(), "Started") {
		s.t.Fatalf("history of %s is empty", workflowID)
	}
	return h
}
