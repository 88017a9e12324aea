// Command evalcli measures what deciding one candidate costs as a whole
// process: `modeltender evaluate` of a manifest against `opa eval` of the
// same decision (the bundle written in OPA's layout, the input document of
// `modeltender evaluate --policy-input`), with `modeltender version` as the
// floor of starting the binary. The three take turns in every round, so
// they see the same load; it prints each one's wall time, CPU time and
// peak RSS, and the ratios. Numbers go to bench/README.md.
//
//	go run ./bench/evalcli [-n 20] [-manifest FILE] [-opa PATH]
//
// Without -opa it builds OPA's command at the version go.mod requires, in
// a scratch module (the Go module proxy must be reachable).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/modeltender/modeltender/policies"
)

func main() {
	n := flag.Int("n", 20, "rounds; each runs every command once")
	manifestFile := flag.String("manifest", "examples/manifests/granite-3.1-8b-instruct.json", "manifest to decide")
	opa := flag.String("opa", "", "path of an opa binary (default: build it)")
	flag.Parse()
	if err := run(context.Background(), *n, *manifestFile, *opa); err != nil {
		fmt.Fprintln(os.Stderr, "evalcli:", err)
		os.Exit(1)
	}
}

// sample is one process run: wall time, user+system CPU and peak RSS.
type sample struct {
	wall, cpu time.Duration
	rssKiB    int64
}

func run(ctx context.Context, n int, manifestFile, opa string) error {
	dir, err := os.MkdirTemp("", "evalcli-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "modeltender")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/modeltender").CombinedOutput(); err != nil {
		return fmt.Errorf("build modeltender (run from the repository root): %v\n%s", err, out)
	}
	if opa == "" {
		if opa, err = buildOPA(ctx, dir); err != nil {
			return err
		}
	}
	bundle, err := policies.LoadBundle()
	if err != nil {
		return err
	}
	bundleDir := filepath.Join(dir, "bundle")
	if err := bundle.WriteOPABundle(bundleDir); err != nil {
		return err
	}
	solicitation := filepath.Join(dir, "solicitation.json")
	if err := os.WriteFile(solicitation, []byte(`{"risk_tier": "high-impact", "expected_monthly_users": 25000, "deadline": "2026-09-01"}`), 0o644); err != nil {
		return err
	}
	input, err := exec.CommandContext(ctx, bin, "evaluate", "--solicitation", solicitation, "--policy-input", manifestFile).Output()
	if err != nil {
		return fmt.Errorf("evaluate --policy-input: %w", err)
	}
	inputFile := filepath.Join(dir, "input.json")
	if err := os.WriteFile(inputFile, input, 0o644); err != nil {
		return err
	}

	commands := []struct {
		name string
		args []string
	}{
		{"modeltender evaluate", []string{bin, "evaluate", "--solicitation", solicitation, manifestFile}},
		{"opa eval (same decision)", []string{opa, "eval", "-b", bundleDir, "-i", inputFile, "--format", "json", "data.modeltender.evaluation.decision"}},
		{"modeltender version", []string{bin, "version"}},
	}
	samples := make([][]sample, len(commands))
	for round := range n + 1 {
		for i, c := range commands {
			s, err := measure(ctx, c.args)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if round > 0 { // the first round warms the page cache
				samples[i] = append(samples[i], s)
			}
		}
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("%d rounds, manifest %s, load average %s\n\n", n, manifestFile, strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Println("| command | wall median (min-max) | CPU median | peak RSS median |")
	fmt.Println("| --- | --- | --- | --- |")
	medians := make([]sample, len(commands))
	for i, c := range commands {
		medians[i] = median(samples[i])
		lo, hi := spread(samples[i])
		fmt.Printf("| %s | %s (%s-%s) | %s | %.1f MiB |\n", c.name, ms(medians[i].wall), ms(lo), ms(hi), ms(medians[i].cpu), float64(medians[i].rssKiB)/1024)
	}
	fmt.Printf("\nevaluate / opa eval: wall %.2fx, CPU %.2fx, RSS %.2fx\n",
		ratio(medians[0].wall, medians[1].wall), ratio(medians[0].cpu, medians[1].cpu), float64(medians[0].rssKiB)/float64(medians[1].rssKiB))
	return nil
}

// buildOPA builds OPA's command at the version this module requires.
func buildOPA(ctx context.Context, dir string) (string, error) {
	version, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Version}}", "github.com/open-policy-agent/opa").Output()
	if err != nil {
		return "", fmt.Errorf("find OPA's version: %w", err)
	}
	mod := filepath.Join(dir, "opa-build")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "opa")
	for _, args := range [][]string{
		{"mod", "init", "opabuild"},
		{"get", "github.com/open-policy-agent/opa@" + strings.TrimSpace(string(version))},
		{"build", "-o", bin, "github.com/open-policy-agent/opa"},
	} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = mod
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, nil
}

func measure(ctx context.Context, args []string) (sample, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), rssKiB: ru.Maxrss}, nil
}

func median(s []sample) sample {
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	rss := make([]int64, len(s))
	for i, x := range s {
		walls[i], cpus[i], rss[i] = x.wall, x.cpu, x.rssKiB
	}
	slices.Sort(walls)
	slices.Sort(cpus)
	slices.Sort(rss)
	m := len(s) / 2
	return sample{wall: walls[m], cpu: cpus[m], rssKiB: rss[m]}
}

func spread(s []sample) (lo, hi time.Duration) {
	lo, hi = s[0].wall, s[0].wall
	for _, x := range s {
		lo, hi = min(lo, x.wall), max(hi, x.wall)
	}
	return lo, hi
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }
