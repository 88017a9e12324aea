package policies

import (
	"container/list"
	"crypto/sha256"
	"maps"
	"slices"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// decisionCacheSize is how many decisions an engine remembers. A decision's
// JSON is a few kilobytes; the same candidate is decided again when its bid
// is checked at submission and evaluated at close, and when an activity is
// retried.
const decisionCacheSize = 256

// decisionCache remembers the policies' results by the SHA-256 of the input
// document (inputJSON), least recently used forgotten first. The document
// is everything a decision reads besides the bundle, and an engine has one
// bundle, so equal keys mean equal decisions as long as no rule calls a
// non-deterministic built-in (see nondeterministicCalls). Results are kept
// as JSON and decoded on each hit, so callers never share a Decision.
type decisionCache struct {
	mu      sync.Mutex
	byInput map[[sha256.Size]byte]*list.Element
	recent  *list.List // of *cachedDecision, most recently used first
}

type cachedDecision struct {
	input  [sha256.Size]byte
	result []byte
}

func newDecisionCache() *decisionCache {
	return &decisionCache{byInput: map[[sha256.Size]byte]*list.Element{}, recent: list.New()}
}

func (c *decisionCache) get(input [sha256.Size]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byInput[input]
	if !ok {
		return nil, false
	}
	c.recent.MoveToFront(el)
	return el.Value.(*cachedDecision).result, true
}

func (c *decisionCache) add(input [sha256.Size]byte, result []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byInput[input]; ok {
		c.recent.MoveToFront(el)
		return
	}
	c.byInput[input] = c.recent.PushFront(&cachedDecision{input: input, result: result})
	for c.recent.Len() > decisionCacheSize {
		delete(c.byInput, c.recent.Remove(c.recent.Back()).(*cachedDecision).input)
	}
}

// nondeterministicCalls lists the built-ins the compiled policies call whose
// result is not fixed by their arguments (time.now_ns, http.send, rand.intn
// ...): with one of them, the same input may be decided differently, and no
// decision may be remembered.
func nondeterministicCalls(compiler *ast.Compiler) []string {
	found := map[string]bool{}
	for _, m := range compiler.Modules {
		ast.WalkRefs(m, func(r ast.Ref) bool {
			if b, ok := ast.BuiltinMap[r.String()]; ok && b.Nondeterministic {
				found[b.Name] = true
			}
			return false
		})
	}
	return slices.Sorted(maps.Keys(found))
}
