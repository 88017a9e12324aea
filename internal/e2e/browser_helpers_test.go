package e2e

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core's axe.min.js (version in web/ui/static/vendor/VERSIONS),
// injected into every page the browser tests visit.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// artifactDir collects screenshots and accessibility reports; it is git-ignored.
const artifactDir = "../../artifacts/browser"

// readmeShots are copied to docs/screenshots for the README's tour when
// MT_UPDATE_SCREENSHOTS=1.
var readmeShots = map[string]bool{"officer-dashboard-protest": true, "vendor-bid": true, "officer-board": true, "reviewer-task": true, "officer-ranking": true}

// newBrowser starts one headless Chromium for a test; each role then gets its
// own browser context (separate cookies) from newSession.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Fatal("Chromium is not installed: run `scripts/ensure-deps.sh chromium` (make test does it)")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		// A common laptop width, so USWDS shows the full navigation; every
		// page is also checked at phone width (see check).
		chromedp.WindowSize(desktopWidth, 900),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		n := axeCounts(t)
		t.Logf("axe ran on %d pages at %d px and %d at %d px: %d violations", n.desktop, desktopWidth, n.phone, phoneWidth, n.violations)
	})
	return ctx
}

// The widths every page is checked at: a laptop and a phone.
const (
	desktopWidth = 1366
	phoneWidth   = 390
)

// axeCount is how many pages a test checked with axe at each width, and
// the violations found.
type axeCount struct{ desktop, phone, violations int }

var (
	axeMu     sync.Mutex
	axeByTest = map[*testing.T]*axeCount{}
)

func axeCounts(t *testing.T) axeCount {
	axeMu.Lock()
	defer axeMu.Unlock()
	if n := axeByTest[t]; n != nil {
		return *n
	}
	return axeCount{}
}

func countAxe(t *testing.T, phone bool, violations int) {
	axeMu.Lock()
	defer axeMu.Unlock()
	n := axeByTest[t]
	if n == nil {
		n = &axeCount{}
		axeByTest[t] = n
	}
	if phone {
		n.phone++
	} else {
		n.desktop++
	}
	n.violations += violations
}

// session is one person's browser tab, signed in.
type session struct {
	t   *testing.T
	ctx context.Context
	s   *stack
	who string
}

const testPassword = "correct horse battery staple"

// newSession signs a stack user in through the login form.
func (s *stack) newSession(browser context.Context, who string) *session {
	s.t.Helper()
	if err := s.store.SetPassword(context.Background(), s.users[who].ID, testPassword); err != nil {
		s.t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	s.t.Cleanup(cancel)
	// The first action on a context opens its tab and ties the tab to the
	// context it is given; give it this long-lived one, not a timeout.
	if err := chromedp.Do(ctx); err != nil {
		s.t.Fatalf("open a tab for %s: %v", who, err)
	}
	b := &session{t: s.t, ctx: ctx, s: s, who: who}
	b.run("set desktop width", desktopViewport())
	b.open("/login", "login")
	b.fill("#email", s.users[who].Email)
	b.fill("#password", testPassword)
	b.submit(`form[action="/login"] button[type=submit]`)
	return b
}

func (b *session) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %s: %v", b.who, what, err)
	}
}

// get runs an action that returns a value, failing the test on error or
// after 30 seconds.
func get[T any](b *session, what string, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("%s: %s: %v", b.who, what, err)
	}
	return v
}

// open navigates to path and checks the page: accessibility and keyboard reach.
func (b *session) open(path, shot string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.s.url+path))
	b.check(shot)
}

// submit clicks a button that submits a form and waits for the next page.
func (b *session) submit(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.screenshot("failed-" + b.who)
		b.t.Fatalf("%s: submit %s: %v; the page shows:\n%s", b.who, sel, err, b.text())
	}
}

// fill sets a form field's value as typing would leave it.
func (b *session) fill(sel, value string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.value = %s; return true })()`, jsString(sel), jsString(value))
	if !get(b, "fill "+sel, chromedp.Evaluate[bool](js)) {
		b.t.Fatalf("%s: no field %s on the page:\n%s", b.who, sel, b.text())
	}
}

// choose checks a radio button. USWDS draws its own radio and moves the
// native input off screen, so a mouse click would land on nothing.
func (b *session) choose(sel string) {
	b.t.Helper()
	if !get(b, "choose "+sel, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.checked = true; return true })()`, jsString(sel)))) {
		b.t.Fatalf("%s: no radio button %s on the page", b.who, sel)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// text is what the page shows.
func (b *session) text() string {
	b.t.Helper()
	return get(b, "read the page", chromedp.Evaluate[string](`document.body.innerText`))
}

// see fails unless the page shows every want, in any letter case (USWDS
// tags are upper-cased by CSS).
func (b *session) see(want ...string) {
	b.t.Helper()
	txt := strings.ToLower(b.text())
	for _, w := range want {
		if !strings.Contains(txt, strings.ToLower(w)) {
			b.t.Fatalf("%s: page does not show %q; it shows:\n%s", b.who, w, txt)
		}
	}
}

// seeEventually waits until the page shows want without reloading it: what
// changes is htmx's doing.
func (b *session) seeEventually(want string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(b.text(), want) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: page never showed %q; it shows:\n%s", b.who, want, b.text())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// check runs axe-core, checks the layout and walks the page with the Tab
// key at desktop width, then runs axe-core and checks the layout again at
// phone width; a screenshot is kept of each.
func (b *session) check(shot string) {
	b.t.Helper()
	b.axe(shot, false)
	b.layout(shot, false)
	b.keyboard(shot)
	b.screenshot(shot)
	b.run("narrow to a phone", chromedp.EmulateViewport(phoneWidth, 844))
	b.axe(shot+"-phone", true)
	b.layout(shot+"-phone", true)
	b.screenshot(shot + "-phone")
	b.run("back to desktop width", desktopViewport())
}

// desktopViewport sets the tab's layout width: a new browser context's
// tab does not take the window size of the first.
func desktopViewport() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(desktopWidth, 900)
}

// layout fails when the page scrolls sideways (something is wider than
// the window) or, at desktop width, when the header is cut off at the top.
func (b *session) layout(name string, phone bool) {
	b.t.Helper()
	wide := get(b, "measure "+name, chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth;
		if (document.documentElement.scrollWidth <= w) return [];
		// Name the outermost elements that stick out, not every descendant.
		return [...document.querySelectorAll('body *')].filter(e => {
			const r = e.getBoundingClientRect();
			return r.right > w + 1 && getComputedStyle(e).position !== 'fixed' && !(e.parentElement && e.parentElement.getBoundingClientRect().right > w + 1);
		}).slice(0, 5).map(e => e.outerHTML.slice(0, 120) + ' (' + Math.round(e.getBoundingClientRect().width) + ' px wide)');
	})()`))
	if len(wide) > 0 {
		b.t.Errorf("%s: %s scrolls sideways at %s width: %v", b.who, name, map[bool]string{true: "phone", false: "desktop"}[phone], wide)
	}
	if !phone {
		if top := get(b, "measure the header of "+name, chromedp.Evaluate[float64](`(() => { const e = document.querySelector('.usa-nav__secondary form'); return e ? e.getBoundingClientRect().top + window.scrollY : 0 })()`)); top < 0 {
			b.t.Errorf("%s: the signed-in user line on %s starts %.0f px above the page", b.who, name, top)
		}
	}
}

func (b *session) screenshot(name string) {
	b.t.Helper()
	// The keyboard walk leaves focus on the skip link, which then covers the header.
	get(b, "blur before the screenshot", chromedp.Evaluate[bool](`document.activeElement && document.activeElement.blur(), true`))
	png := get(b, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100 means PNG
	writeArtifact(b.t, name+".png", png)
	if readmeShots[name] && os.Getenv("MT_UPDATE_SCREENSHOTS") == "1" {
		if err := os.WriteFile(filepath.Join("../../docs/screenshots", name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
}

func writeArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(artifactDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// axe runs axe-core's WCAG 2.1 A/AA and best-practice rules on the page and
// fails on any violation, of any impact; the report is kept as an artifact.
func (b *session) axe(name string, phone bool) {
	b.t.Helper()
	get(b, "inject axe-core", chromedp.Evaluate[bool](axeSource+";true"))
	violations := get(b, "run axe-core on "+name, chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise))
	report, _ := json.MarshalIndent(violations, "", "  ")
	writeArtifact(b.t, name+".axe.json", report)
	countAxe(b.t, phone, len(violations))
	for _, v := range violations {
		b.t.Errorf("%s: axe %s on %s: %s (%s), %d node(s), first: %s", b.who, v.Impact, name, v.ID, v.Help, len(v.Nodes), v.Nodes[0].HTML)
	}
}

// keyboard presses Tab through the page and fails if a visible link, button
// or form control is never reached (a radio group counts once: arrows move
// within it).
func (b *session) keyboard(name string) {
	b.t.Helper()
	total := get(b, "keyboard check on "+name, chromedp.Evaluate[int](`(() => {
		// Chromium lays out a closed <details>'s content, but Tab skips it: only its summary is reachable.
		const folded = e => {
			for (let d = e.closest('details:not([open])'); d; d = d.parentElement && d.parentElement.closest('details:not([open])')) {
				const summary = d.querySelector(':scope > summary');
				if (!summary || !summary.contains(e)) return true;
			}
			return false;
		};
		const els = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
			.filter(e => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !folded(e));
		const groups = new Set();
		let n = 0;
		for (const e of els) {
			const key = e.type === 'radio' ? 'radio:' + e.name : 'el:' + n;
			if (!groups.has(key)) { groups.add(key); n++; }
			e.dataset.mtKey = key;
		}
		window.mtReached = new Set();
		document.addEventListener('focusin', ev => { if (ev.target.dataset && ev.target.dataset.mtKey) window.mtReached.add(ev.target.dataset.mtKey); });
		document.activeElement && document.activeElement.blur();
		return groups.size;
	})()`))
	// Some controls take several stops (a date-time input has one per part),
	// so press until everything was reached or the page cycled a few times.
	for i := 0; i < 6*total+10; i++ {
		b.run("press Tab", chromedp.KeyEvent("\t"))
		if i%10 == 9 && get(b, "count focused actions", chromedp.Evaluate[int](`window.mtReached.size`)) == total {
			break
		}
	}
	missed := get(b, "keyboard check on "+name, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-mt-key]')]
		.filter(e => !window.mtReached.has(e.dataset.mtKey)).map(e => e.outerHTML.slice(0, 120))`))
	if len(missed) > 0 {
		b.t.Errorf("%s: %d of %d actions on %s are not reachable with Tab: %v", b.who, len(missed), total, name, missed)
	}
}
