package payroll_test

import (
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/authtest"
	"github.com/oauthgate/oauthgate/examples/payroll"
)

func TestViewPayroll(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Prefix: payroll.Prefix, Capabilities: payroll.Capabilities}
	at := authtest.New(t, cfg, payroll.Handler)
	at.SetCapabilities("accountant@example.com", "view_payroll")
	at.SetCapabilities("boss@example.com", "admin")

	at.Guest().Get("/api/v1/payroll").Expect(t, 401)
	at.Client("user@example.com").Get("/api/v1/payroll").Expect(t, 403)
	at.Client("accountant@example.com").Get("/api/v1/payroll").Expect(t, 200)
	at.Client("boss@example.com").Get("/api/v1/payroll").Expect(t, 200)
	at.Service("payroll-bot@service", "view_payroll").Get("/api/v1/payroll").Expect(t, 200)
	at.Service("other-bot@service").Get("/api/v1/payroll").Expect(t, 403)

	var lines []payroll.Line
	at.Client("accountant@example.com").Get("/api/v1/payroll").Expect(t, 200).JSON(t, &lines)
	if len(lines) != 2 || lines[0].Employee != "alice" {
		t.Errorf("payroll = %+v", lines)
	}
}

// TestManagers: an admin grants view_payroll through the manage routes; a
// user without user_management may not.
func TestManagers(t *testing.T) {
	t.Parallel()
	cfg := &auth.Config{Prefix: payroll.Prefix, Capabilities: payroll.Capabilities}
	at := authtest.New(t, cfg, payroll.Handler,
		authtest.WithCapabilities(map[string][]string{"boss@example.com": {"admin"}}))
	grant := map[string]string{"email": "new@example.com", "capability": "view_payroll"}

	at.Client("user@example.com").Post("/api/v1/manage_capabilities/add", grant).Expect(t, 403)
	at.Client("new@example.com").Get("/api/v1/payroll").Expect(t, 403)
	at.Client("boss@example.com").Post("/api/v1/manage_capabilities/add", grant).Expect(t, 200)
	at.Client("new@example.com").Get("/api/v1/payroll").Expect(t, 200)
}
