package pgcluster

import (
	"context"
	"fmt"
	"time"
)

// Supervise checks every interval that the server this Cluster started is
// alive and, when it has died (killed, crashed, stopped behind our back),
// starts it again in the same directory on the same port, so the URLs handed
// out stay valid. note hears of each death and restart. When the server
// cannot be started again within giveUpAfter, the returned channel receives
// an error saying why; it receives nothing once ctx ends or Stop is called.
func (c *Cluster) Supervise(ctx context.Context, interval, giveUpAfter time.Duration, note func(string)) <-chan error {
	failed := make(chan error, 1)
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			pid, stopped := c.current()
			if stopped {
				return
			}
			if (postmaster{pid: pid}).alive() {
				continue
			}
			note(fmt.Sprintf("PostgreSQL (pid %d) in %s died; starting it again on port %d", pid, c.dir, c.port))
			if err := c.restart(ctx, interval, giveUpAfter); err != nil {
				if ctx.Err() == nil {
					failed <- err
				}
				return
			}
			pid, _ = c.current()
			note(fmt.Sprintf("PostgreSQL in %s is running again (pid %d, port %d)", c.dir, pid, c.port))
		}
	}()
	return failed
}

func (c *Cluster) current() (pid int, stopped bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pid, c.stopped
}

// restart starts the dead server again, retrying every interval: until its
// orphaned backends exit they hold its shared memory and a start fails.
func (c *Cluster) restart(ctx context.Context, interval, giveUpAfter time.Duration) error {
	deadline := time.Now().Add(giveUpAfter)
	for {
		err := c.startAgain(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("PostgreSQL in %s died and could not be started again within %s; the last attempt: %w (its log is in the state directory's logs/postgres.log)",
				c.dir, giveUpAfter, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

func (c *Cluster) startAgain(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	if err := c.clearStalePID(); err != nil {
		return err
	}
	// The dead server's output has ended; the new one gets a fresh pipe.
	c.logDone = make(chan struct{})
	return c.start(ctx, c.durable)
}
