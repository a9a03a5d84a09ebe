// Package browsertest drives a headless Chromium for the browser tests
// (chromedp): finding Chromium, a fresh profile per test, steps bounded in
// time, and a screenshot whose path is printed when a step fails.
// Environment:
//
//	CI=true                    a missing Chromium fails the test instead of skipping it
//	OAUTHGATE_ARTIFACTS=DIR    where screenshots go (default $TMPDIR/oauthgate-artifacts)
//	OAUTHGATE_SCREENSHOTS=all  also save a screenshot after every step, not only on failure
//
// Nothing outside tests imports it.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	// Budget bounds everything one browser does.
	Budget = 60 * time.Second
	// StepTimeout bounds one step.
	StepTimeout  = 15 * time.Second
	chromiumHint = "chromium not found: apt-get install chromium"
)

// FindChromium returns Chromium's path, or skips the test (fails it when
// CI=true, where the browser tests must always run).
func FindChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if p := "/usr/bin/chromium"; isExecutable(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(chromiumHint + " (CI=true: the browser test may not be skipped)")
	}
	t.Skip(chromiumHint)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Browser is one headless Chromium tab with the test's helpers.
type Browser struct {
	t         testing.TB
	tab       context.Context
	artifacts string
	everyStep bool
	steps     int
	output    *lockedBuffer

	mu         sync.Mutex
	exceptions []string
}

// New starts Chromium (at execPath, see [FindChromium]) with a fresh
// profile, in a window of width × height. Everything it does is bounded by
// [Budget]; it is closed when the test ends.
func New(t testing.TB, execPath string, width, height int) *Browser {
	t.Helper()
	// Not t.TempDir: Chromium's helper processes may still write to the
	// profile for a moment after the browser exits, which fails its check.
	profile, err := os.MkdirTemp("", "oauthgate-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(profile),
		chromedp.CombinedOutput(out),
		chromedp.WindowSize(width, height),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true), // loopback only, whatever the environment says
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	}
	budget, cancelBudget := context.WithTimeout(t.Context(), Budget)
	alloc, cancelAlloc := chromedp.NewExecAllocator(budget, opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser process to exit
		cancelBudget()
		removeProfile(t, profile)
	})

	b := &Browser{t: t, tab: tab, output: out, artifacts: artifactsDir(), everyStep: os.Getenv("OAUTHGATE_SCREENSHOTS") == "all"}
	chromedp.ListenTarget(tab, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.mu.Lock()
			b.exceptions = append(b.exceptions, exceptionText(e.ExceptionDetails))
			b.mu.Unlock()
		}
	})
	// Start the browser now, so that a broken install fails here with its output.
	if err := chromedp.Run(tab); err != nil {
		t.Fatalf("starting %s: %v\nbrowser output:\n%s", execPath, err, out.tail(4000))
	}
	return b
}

// removeProfile deletes the browser profile, retrying while Chromium's
// last helper processes finish writing to it.
func removeProfile(t testing.TB, dir string) {
	var err error
	for range 50 {
		if err = os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("leaving the browser profile %s: %v", dir, err)
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return "(no details)"
	}
	msg := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		msg += ": " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber)
}

// artifactsDir is where screenshots go: $OAUTHGATE_ARTIFACTS, else a
// folder in the system's temporary directory that outlives the test.
func artifactsDir() string {
	if d := os.Getenv("OAUTHGATE_ARTIFACTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "oauthgate-artifacts")
}

// Step runs actions in the tab within [StepTimeout]. On failure it saves a
// screenshot and fails the test with the page's URL and the screenshot's path.
func (b *Browser) Step(name string, actions ...chromedp.Action) {
	b.t.Helper()
	b.steps++
	ctx, cancel := context.WithTimeout(b.tab, StepTimeout)
	err := chromedp.Run(ctx, actions...)
	cancel()
	if err != nil {
		b.Fail(name, err)
	}
	if b.everyStep {
		b.t.Logf("step %q: screenshot %s", name, b.screenshot(name))
	}
}

// Navigate opens url, runs then, and returns the HTTP status of the page's
// response.
func (b *Browser) Navigate(name, url string, then ...chromedp.Action) int64 {
	b.t.Helper()
	b.steps++
	ctx, cancel := context.WithTimeout(b.tab, StepTimeout)
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(url))
	if err == nil && len(then) > 0 {
		err = chromedp.Run(ctx, then...)
	}
	cancel()
	if err == nil && resp == nil {
		err = errors.New("no response for the navigation")
	}
	if err != nil {
		b.Fail(name, err)
	}
	if b.everyStep {
		b.t.Logf("step %q: screenshot %s", name, b.screenshot(name))
	}
	return resp.Status
}

// Check fails the test, with a screenshot, unless ok.
func (b *Browser) Check(name string, ok bool, format string, args ...any) {
	b.t.Helper()
	if !ok {
		b.Fail(name, fmt.Errorf(format, args...))
	}
}

// Fail fails the test with the page's URL, a screenshot's path and the
// end of the browser's output.
func (b *Browser) Fail(name string, err error) {
	b.t.Helper()
	var where string
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	_ = chromedp.Run(ctx, chromedp.Location(&where))
	cancel()
	shot := b.screenshot(name + "-failed")
	b.t.Fatalf("browser step %q failed at %s: %v\nscreenshot: %s\nbrowser output (end):\n%s",
		name, where, err, shot, b.output.tail(2000))
}

// Exceptions returns the scripts' uncaught exceptions so far.
func (b *Browser) Exceptions() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.exceptions)
}

// SessionCookie returns the app's session cookie (a name ending in
// "oauthgate_session") as the browser keeps it for base, or nil.
func (b *Browser) SessionCookie(name, base string) *network.Cookie {
	b.t.Helper()
	var cookies []*network.Cookie
	b.Step(name, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		cookies, err = network.GetCookies().WithURLs([]string{base + "/"}).Do(ctx)
		return err
	}))
	for _, c := range cookies {
		if strings.HasSuffix(c.Name, "oauthgate_session") {
			return c
		}
	}
	return nil
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// screenshot saves a full-page PNG and returns its path, or why it could not.
func (b *Browser) screenshot(name string) string {
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	if err := os.MkdirAll(b.artifacts, 0o755); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	file := fmt.Sprintf("%s-%02d-%s.png", b.t.Name(), b.steps, name)
	path := filepath.Join(b.artifacts, unsafeFileChars.ReplaceAllString(file, "_"))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return fmt.Sprintf("(none: %v)", err)
	}
	return path
}

// lockedBuffer collects the browser's output; it is written from the
// allocator's goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// tail returns at most the last n bytes written, without the lines about
// D-Bus (absent in containers, and harmless) that would hide the rest.
func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	lines := strings.Split(l.buf.String(), "\n")
	l.mu.Unlock()
	var kept []string
	for _, line := range lines {
		if !strings.Contains(line, "dbus/") {
			kept = append(kept, line)
		}
	}
	s := strings.Join(kept, "\n")
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}
