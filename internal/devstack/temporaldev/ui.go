package temporaldev

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	"github.com/temporalio/ui-server/v2/server/server_options"
)

// startUI serves the Temporal Web UI (the ui-server module with its embedded
// assets, as `temporal server start-dev` does) on 127.0.0.1:port, 0 picking a
// free port, and returns once it answers.
func (s *Server) startUI(ctx context.Context, port int) error {
	if port == 0 {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		port = ports[0]
	} else if l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port))); err != nil {
		// The UI server exits the process when it cannot bind: check first.
		return fmt.Errorf("serve the Temporal UI on port %d: %w", port, err)
	} else {
		_ = l.Close()
	}
	cfg := &uiconfig.Config{
		TemporalGRPCAddress: s.address,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    s.namespace,
		// Plain HTTP on loopback: the CSRF cookie cannot be Secure.
		CORS: uiconfig.CORS{CookieInsecure: true},
		// The browser would fetch Temporal's news feed from the internet.
		DisableNewsFetch: true,
		HideLogs:         true,
	}
	ui := uiserver.NewServer(server_options.WithConfigProvider(cfg))
	go func() { _ = ui.Start() }()
	s.ui = ui
	s.uiURL = "http://" + net.JoinHostPort(host, strconv.Itoa(port))

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, readyTimeout)
		defer cancel()
	}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiURL+"/healthz", nil)
		if err != nil {
			return err
		}
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the Temporal UI on %s did not answer in time: %w", s.uiURL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// UIURL is the Temporal Web UI's address, or "" when Options.UI was off.
func (s *Server) UIURL() string { return s.uiURL }
