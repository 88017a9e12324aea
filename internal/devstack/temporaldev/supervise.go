package temporaldev

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Supervision says how Supervise watches the server.
type Supervision struct {
	// Interval is the time between two probes of the frontend, and each
	// probe's timeout.
	Interval time.Duration
	// FailAfter consecutive failed probes mean the server is dead.
	FailAfter int
	// MaxRestarts restarts within Window are allowed; one more gives up.
	MaxRestarts int
	Window      time.Duration
}

// frontendService is the service name the frontend reports its health
// under, as the SDK's CheckHealth asks it.
const frontendService = "temporal.api.workflowservice.v1.WorkflowService"

// Supervise probes the frontend's gRPC health every Interval and, when
// FailAfter probes in a row fail (the services stopped, crashed or hang),
// stops what is left of them and starts the server again on the same
// frontend port with the same state, so clients reconnect to the address
// they have and running workflows go on. note hears of each death and
// restart. A restart that fails is tried again after FailAfter more failed
// probes; when more than MaxRestarts restarts fall within Window, the
// returned channel receives an error naming Temporal and supervision ends.
// It ends without a word once ctx ends or Stop is called.
func (s *Server) Supervise(ctx context.Context, sv Supervision, note func(string)) <-chan error {
	failed := make(chan error, 1)
	go func() {
		tick := time.NewTicker(sv.Interval)
		defer tick.Stop()
		var restarts []time.Time
		misses := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			err := s.probe(ctx, sv.Interval)
			if s.isStopped() || ctx.Err() != nil {
				return
			}
			if err == nil {
				misses = 0
				continue
			}
			if misses++; misses < sv.FailAfter {
				continue
			}
			misses = 0
			now := time.Now()
			restarts = append(restarts, now)
			for len(restarts) > 0 && now.Sub(restarts[0]) > sv.Window {
				restarts = restarts[1:]
			}
			if len(restarts) > sv.MaxRestarts {
				failed <- fmt.Errorf("the embedded Temporal server at %s stopped answering %d times within %s (last: %v); giving up: "+
					"its log is in the state directory's logs/temporal.log", s.address, len(restarts), sv.Window, err)
				return
			}
			dead := time.Duration(sv.FailAfter) * sv.Interval
			note(fmt.Sprintf("Temporal at %s has not answered for %s (%v); starting it again on the same port (restart %d)", s.address, dead, err, len(restarts)))
			began := time.Now()
			if err := s.restart(ctx); err != nil {
				note(fmt.Sprintf("Temporal at %s could not be started again: %v", s.address, err))
				continue
			}
			note(fmt.Sprintf("Temporal at %s is serving again, after %s", s.address, time.Since(began).Round(time.Millisecond)))
		}
	}()
	return failed
}

// probe asks the frontend's health service whether it serves, over a new
// connection each time: a kept one would sit in gRPC's reconnect backoff
// long after the server is back.
func (s *Server) probe(ctx context.Context, timeout time.Duration) error {
	conn, err := grpc.NewClient(s.address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: frontendService})
	if err != nil {
		return err
	}
	if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("frontend reports %s", res.GetStatus())
	}
	return nil
}

func (s *Server) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

// stopTimeout bounds the wait for a dead server's services to stop before
// a restart: a hung one must not hang its supervisor too.
const stopTimeout = 30 * time.Second

// restart stops the current run's services and starts new ones in their
// place. The lock is held throughout, so a Stop meanwhile stops the new run.
func (s *Server) restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if s.logGate != nil {
		s.logGate.closed.Store(true)
	}
	if !s.server.stopWithin(stopTimeout) {
		return fmt.Errorf("its services did not stop within %s, and may still hold its ports", stopTimeout)
	}
	s.unlock()
	next, err := Start(ctx, s.again)
	if err != nil {
		return err
	}
	s.server, s.logGate, s.lock = next.server, next.logGate, next.lock
	return nil
}
