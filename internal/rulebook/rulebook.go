// Package rulebook owns the rules a candidate is judged by: the policy engine
// and the license analyzer prepared for one policy bundle revision. It keeps
// the few revisions in use prepared and loads any other by revision from
// where bundles are stored, so every candidate of a solicitation is judged
// under the revision the solicitation froze at publication, whatever bundle
// the process started with. (It is not in policies because licensing
// imports policies.)
package rulebook

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/modeltender/modeltender/internal/licensing"
	"github.com/modeltender/modeltender/policies"
)

// DefaultSize is how many revisions Revisions keeps prepared when New is
// given no size: a handful of bundle revisions are live at once (the
// current one and those of solicitations still open or being evaluated),
// and each prepared revision holds a few megabytes.
const DefaultSize = 8

// prepareTimeout bounds loading and preparing one revision, which takes
// well under a second, so that a stuck loader gives way to the next caller.
const prepareTimeout = 2 * time.Minute

// Loader returns the files stored under a bundle revision, as
// store.Store.PolicyBundle does.
type Loader func(ctx context.Context, revision string) (map[string][]byte, error)

// Revisions holds the engines and analyzers of recently used bundle
// revisions, least recently used evicted first. Safe for concurrent use; a
// revision is prepared once however many callers ask for it at a time.
type Revisions struct {
	load Loader
	size int

	mu         sync.Mutex
	byRev      map[string]*prepared
	mostRecent *list.List // of the prepared entries in byRev, most recently used first
}

// prepared is one revision's rules, or its preparation under way until
// ready is closed.
type prepared struct {
	revision string
	ready    chan struct{}
	engine   *policies.Engine
	analyzer *licensing.Analyzer
	packs    []policies.Pack
	err      error
	// use is the entry's place in Revisions.mostRecent once prepared.
	use *list.Element
}

// New returns an empty set of revisions that loads bundles with load and
// keeps up to size of them prepared (DefaultSize when size < 1).
func New(load Loader, size int) *Revisions {
	if size < 1 {
		size = DefaultSize
	}
	return &Revisions{load: load, size: size, byRev: map[string]*prepared{}, mostRecent: list.New()}
}

// For returns the engine and the license analyzer of the bundle with the
// given revision, loading and preparing it when it is not held. A stored
// bundle whose files do not hash to its revision is refused.
func (r *Revisions) For(ctx context.Context, revision string) (*policies.Engine, *licensing.Analyzer, error) {
	p, err := r.stored(ctx, revision)
	if err != nil {
		return nil, nil, err
	}
	return p.engine, p.analyzer, nil
}

// Packs returns the policy packs of the bundle with the given revision:
// what a solicitation frozen at it requires, whatever bundle this process
// runs.
func (r *Revisions) Packs(ctx context.Context, revision string) ([]policies.Pack, error) {
	p, err := r.stored(ctx, revision)
	if err != nil {
		return nil, err
	}
	return p.packs, nil
}

func (r *Revisions) stored(ctx context.Context, revision string) (*prepared, error) {
	if revision == "" {
		return nil, errors.New("rules for an empty policy revision: a solicitation freezes its revision at publication, so a draft has none yet")
	}
	return r.get(ctx, revision, func(ctx context.Context) (*policies.Bundle, error) {
		files, err := r.load(ctx, revision)
		if err != nil {
			return nil, err
		}
		return policies.OpenBundle(revision, files)
	})
}

// Add prepares the rules of b, a bundle at hand such as the one the
// process started with, unless its revision is held already, and returns them.
func (r *Revisions) Add(ctx context.Context, b *policies.Bundle) (*policies.Engine, *licensing.Analyzer, error) {
	p, err := r.get(ctx, b.Revision(), func(context.Context) (*policies.Bundle, error) { return b, nil })
	if err != nil {
		return nil, nil, err
	}
	return p.engine, p.analyzer, nil
}

func (r *Revisions) get(ctx context.Context, revision string, bundle func(context.Context) (*policies.Bundle, error)) (*prepared, error) {
	r.mu.Lock()
	p, ok := r.byRev[revision]
	switch {
	case !ok:
		p = &prepared{revision: revision, ready: make(chan struct{})}
		r.byRev[revision] = p
		// Detached from ctx: callers waiting for the same revision must not
		// lose it because the first one gave up.
		go r.prepare(context.WithoutCancel(ctx), p, bundle)
	case p.use != nil:
		r.mostRecent.MoveToFront(p.use)
	}
	r.mu.Unlock()

	select {
	case <-p.ready:
	case <-ctx.Done():
		return nil, fmt.Errorf("rules of policy revision %s: %w", revision, ctx.Err())
	}
	if p.err != nil {
		return nil, p.err
	}
	return p, nil
}

// prepare builds p's engine and analyzer, then holds p, evicting the least
// recently used revisions beyond the size; a failure is not held, so the
// next caller tries again.
func (r *Revisions) prepare(ctx context.Context, p *prepared, bundle func(context.Context) (*policies.Bundle, error)) {
	ctx, cancel := context.WithTimeout(ctx, prepareTimeout)
	p.engine, p.analyzer, p.packs, p.err = build(ctx, p.revision, bundle)
	cancel()
	r.mu.Lock()
	if p.err != nil {
		delete(r.byRev, p.revision)
	} else {
		p.use = r.mostRecent.PushFront(p)
		for r.mostRecent.Len() > r.size {
			delete(r.byRev, r.mostRecent.Remove(r.mostRecent.Back()).(*prepared).revision)
		}
	}
	r.mu.Unlock()
	close(p.ready)
}

func build(ctx context.Context, revision string, bundle func(context.Context) (*policies.Bundle, error)) (*policies.Engine, *licensing.Analyzer, []policies.Pack, error) {
	b, err := bundle(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load policy bundle %s: %w", revision, err)
	}
	engine, err := policies.NewEngine(ctx, policies.FromBundle(b))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policy bundle %s: %w", revision, err)
	}
	analyzer, err := licensing.NewAnalyzer(policies.FromBundle(b))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policy bundle %s: %w", revision, err)
	}
	packs, err := policies.Packs(policies.FromBundle(b))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("policy bundle %s: %w", revision, err)
	}
	return engine, analyzer, packs, nil
}
