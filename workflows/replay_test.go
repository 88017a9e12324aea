package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
)

// Histories recorded from the real stack (internal/e2e, with
// MODELTENDER_RECORD_HISTORIES=1) must replay against today's workflow code:
// a change that breaks determinism fails here and belongs behind
// workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d recorded histories in testdata, want at least 3", len(files))
	}
	replayer := worker.NewWorkflowReplayer()
	RegisterReplay(replayer)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(quietSuite().GetLogger(), f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
