package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/modeltender/modeltender/internal/contract"
	"github.com/modeltender/modeltender/internal/domain"
)

// throughput measures evaluations per second against the baseline at each
// concurrency level on one Temporal persistence mode.
func throughput(ctx context.Context, o options, pg *postgres, mode, dir string, m domain.Manifest, stdout io.Writer) error {
	url, err := pg.database(ctx, "bench_"+mode)
	if err != nil {
		return err
	}
	var tdir string
	if mode == "file" {
		if tdir, err = tempSubdir(dir, "temporal-"+mode); err != nil {
			return err
		}
	}
	ts, err := startTemporal(ctx, mode, tdir)
	if err != nil {
		return err
	}
	defer ts.Stop()
	s, err := openStack(ctx, mode, url, ts, o.stickyCaches[0])
	if err != nil {
		return err
	}
	defer s.close()

	shape, err := s.calibrate(ctx, m, o.poll, stdout)
	if err != nil {
		return err
	}
	var rows []string
	for i, cache := range o.stickyCaches {
		if i > 0 {
			s.worker.Stop()
			if err := s.startWorker(cache); err != nil {
				return err
			}
		}
		// Warm up connections, caches and the policy engine; not reported.
		warm := min(o.n, 20)
		if _, err := s.evaluations(ctx, m, warm, 10, o.poll); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		if _, err := s.baseline(ctx, shape, warm, 10, o.poll); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		for _, c := range o.concurrency {
			load := loadAverage()
			mt, err := s.evaluations(ctx, m, o.n, c, o.poll)
			if err != nil {
				return fmt.Errorf("%d evaluations, %d in flight, sticky cache %d: %w", o.n, c, cache, err)
			}
			fmt.Fprintf(stdout, "  %s Temporal, sticky cache %d, %d in flight: modeltender %s\n", mode, cache, c, mt)
			base, err := s.baseline(ctx, shape, o.n, c, o.poll)
			if err != nil {
				return fmt.Errorf("%d baseline workflows, %d in flight, sticky cache %d: %w", o.n, c, cache, err)
			}
			fmt.Fprintf(stdout, "  %s Temporal, sticky cache %d, %d in flight: baseline    %s\n", mode, cache, c, base)
			rows = append(rows, fmt.Sprintf("%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.2f\t%s / %s\t%s / %s\t%s",
				mode, cache, o.n, c, mt.rate(), base.rate(), mt.rate()/base.rate(),
				round(mt.percentile(50)), round(mt.percentile(95)), round(base.percentile(50)), round(base.percentile(95)), load))
		}
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "temporal\tsticky cache\tN\tin flight\tmodeltender evals/s\tbaseline wf/s\tratio\tmodeltender p50 / p95\tbaseline p50 / p95\tload avg before")
	for _, r := range rows {
		fmt.Fprintln(tw, r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return nil
}

// calibrate runs one evaluation to its outcome and counts, from its history,
// the activities the baseline must run to match it.
func (s *stack) calibrate(ctx context.Context, m domain.Manifest, poll time.Duration, stdout io.Writer) (activityShape, error) {
	res, err := s.evaluations(ctx, m, 1, 1, poll)
	if err != nil {
		return activityShape{}, fmt.Errorf("calibration evaluation: %w", err)
	}
	h, err := s.history(ctx, res.ids[0])
	if err != nil {
		return activityShape{}, err
	}
	if h.updates != 1 {
		return activityShape{}, fmt.Errorf("calibration evaluation %s accepted %d updates, want 1 (the approval)", res.ids[0], h.updates)
	}
	// One activity runs inside the decide handler (RecordDecision); the
	// rest are after the decision.
	shape := activityShape{Before: h.before, After: len(h.activities) - h.before - 1}
	if shape.Before < 1 || shape.After < 0 {
		return shape, fmt.Errorf("calibration evaluation %s: unexpected history: activities %v, %d before the update", res.ids[0], h.activities, h.before)
	}
	base, err := s.baseline(ctx, shape, 1, 1, poll)
	if err != nil {
		return shape, fmt.Errorf("calibration baseline: %w", err)
	}
	bh, err := s.history(ctx, base.ids[0])
	if err != nil {
		return shape, err
	}
	fmt.Fprintf(stdout, "\n== Temporal %s\n", s.mode)
	fmt.Fprintf(stdout, "  an evaluation runs %d activities (%d before its approval task, 1 in the decide update, %d after): %s\n",
		len(h.activities), shape.Before, shape.After, strings.Join(h.activities, ", "))
	fmt.Fprintf(stdout, "  history: evaluation %d events, %.1f KiB; baseline %d events (%d activities), %.1f KiB\n",
		h.events, float64(h.bytes)/1024, bh.events, len(bh.activities), float64(bh.bytes)/1024)
	return shape, nil
}

// workflowHistory is what the bench reads from one completed workflow.
type workflowHistory struct {
	events, bytes int
	activities    []string // types, in the order they were scheduled
	before        int      // activities scheduled before the first accepted update
	updates       int
}

func (s *stack) history(ctx context.Context, workflowID string) (workflowHistory, error) {
	var h workflowHistory
	it := s.app.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.events++
		h.bytes += proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			h.activities = append(h.activities, ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName())
			if h.updates == 0 {
				h.before++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			h.updates++
		}
	}
	return h, nil
}

// roundResult is the timing of one round of workflows.
type roundResult struct {
	ids       []string
	wall      time.Duration
	latencies []time.Duration // start to result, per workflow
}

func (r roundResult) rate() float64 { return float64(len(r.ids)) / r.wall.Seconds() }

func (r roundResult) percentile(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	return l[min(len(l)-1, len(l)*p/100)]
}

func (r roundResult) String() string {
	return fmt.Sprintf("%d in %s = %.1f/s (latency p50 %s, p95 %s)", len(r.ids), round(r.wall), r.rate(), round(r.percentile(50)), round(r.percentile(95)))
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

// job is one workflow of a round.
type job struct {
	id    string
	start func(ctx context.Context) (client.WorkflowRun, error)
	check func(ctx context.Context, run client.WorkflowRun) error
}

// target is a parked workflow for the deciding client to approve.
type target struct{ workflowID, taskID, findingsHash string }

// evaluations seeds n candidates and evaluates them, `concurrency` at a time,
// approving each approval task as soon as it reaches the reviewer's inbox.
func (s *stack) evaluations(ctx context.Context, m domain.Manifest, n, concurrency int, poll time.Duration) (roundResult, error) {
	sol, err := seedSolicitation(ctx, s.app.Store, s.people, s.app.Policies.Revision())
	if err != nil {
		return roundResult{}, err
	}
	inputs, err := seedEvaluations(ctx, s.app.Store, s.people, sol, m, n)
	if err != nil {
		return roundResult{}, err
	}
	jobs := make([]job, n)
	for i, in := range inputs {
		jobs[i] = job{
			id: in.Ref.WorkflowID,
			start: func(ctx context.Context) (client.WorkflowRun, error) {
				return s.app.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: in.Ref.WorkflowID, TaskQueue: taskQueue}, contract.EvaluationWorkflow, in)
			},
			check: func(ctx context.Context, run client.WorkflowRun) error {
				var res contract.EvaluationResult
				if err := run.Get(ctx, &res); err != nil {
					return err
				}
				if res.Outcome != domain.OutcomeQualified {
					return fmt.Errorf("outcome %s, want qualified: %+v", res.Outcome, res.Reasons)
				}
				return nil
			},
		}
	}
	inbox := func(ctx context.Context) ([]target, error) {
		tasks, err := s.app.Store.OpenTasksFor(ctx, s.people.reviewer)
		if err != nil {
			return nil, err
		}
		var out []target
		for _, t := range tasks {
			if t.SolicitationID == sol.ID {
				out = append(out, target{workflowID: t.WorkflowID, taskID: t.ID, findingsHash: t.FindingsHash})
			}
		}
		return out, nil
	}
	return s.round(ctx, jobs, inbox, concurrency, poll)
}

// baseline runs n baseline workflows the same way.
func (s *stack) baseline(ctx context.Context, shape activityShape, n, concurrency int, poll time.Duration) (roundResult, error) {
	jobs := make([]job, n)
	for i := range jobs {
		id := domain.NewID("baseline")
		jobs[i] = job{
			id: id,
			start: func(ctx context.Context) (client.WorkflowRun, error) {
				return s.app.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue}, baselineWorkflowName, shape)
			},
			check: func(ctx context.Context, run client.WorkflowRun) error { return run.Get(ctx, nil) },
		}
	}
	inbox := func(context.Context) ([]target, error) {
		var out []target
		for _, id := range s.parked.take() {
			out = append(out, target{workflowID: id, taskID: "tsk-" + id})
		}
		return out, nil
	}
	return s.round(ctx, jobs, inbox, concurrency, poll)
}

// round starts the jobs with at most `concurrency` unfinished at a time while
// a deciding client approves what inbox reports, and times it all: the wall
// time runs from the first start to the last result.
func (s *stack) round(ctx context.Context, jobs []job, inbox func(context.Context) ([]target, error), concurrency int, poll time.Duration) (roundResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	var decider sync.WaitGroup
	decider.Go(func() { s.decide(ctx, inbox, poll, cancel) })

	res := roundResult{ids: make([]string, len(jobs)), latencies: make([]time.Duration, len(jobs))}
	start := time.Now()
	err := forEach(ctx, len(jobs), concurrency, func(i int) error {
		j := jobs[i]
		t0 := time.Now()
		run, err := j.start(ctx)
		if err != nil {
			return fmt.Errorf("start %s: %w", j.id, err)
		}
		if err := j.check(ctx, run); err != nil {
			return fmt.Errorf("workflow %s: %w", j.id, err)
		}
		res.ids[i] = j.id
		res.latencies[i] = time.Since(t0)
		return nil
	})
	res.wall = time.Since(start)
	if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = fmt.Errorf("%w (deciding client: %v)", err, cause)
	}
	cancel(nil)
	decider.Wait()
	return res, err
}

// decide polls inbox every poll and sends each new target one approve
// decision through the decide Update, as a reviewer would through the API.
// It stops when ctx ends; a failed decision cancels the round.
func (s *stack) decide(ctx context.Context, inbox func(context.Context) ([]target, error), poll time.Duration, fail context.CancelCauseFunc) {
	var sent sync.WaitGroup
	defer sent.Wait()
	seen := map[target]bool{}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		targets, err := inbox(ctx)
		if err != nil {
			if ctx.Err() == nil {
				fail(fmt.Errorf("read inbox: %w", err))
			}
			return
		}
		for _, t := range targets {
			if seen[t] {
				continue
			}
			seen[t] = true
			sent.Go(func() {
				if err := s.approve(ctx, t); err != nil && ctx.Err() == nil {
					fail(err)
				}
			})
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (s *stack) approve(ctx context.Context, t target) error {
	r := s.people.reviewer
	d := domain.Decision{
		TaskID: t.taskID, ReviewerID: r.ID, ReviewerRole: r.Role, ReviewerOrgID: r.OrgID,
		Verdict: domain.VerdictApprove, ReasonCode: "meets-requirements", Comment: "evalbench", FindingsHash: t.findingsHash,
	}
	h, err := s.app.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.workflowID, UpdateName: contract.DecideUpdate, Args: []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("decide %s on %s: %w", t.taskID, t.workflowID, err)
	}
	var res contract.DecisionResult
	if err := h.Get(ctx, &res); err != nil {
		return fmt.Errorf("decide %s on %s: %w", t.taskID, t.workflowID, err)
	}
	if !res.Accepted || !res.TaskClosed {
		return fmt.Errorf("decide %s on %s: not accepted or task still open: %+v", t.taskID, t.workflowID, res)
	}
	return nil
}
