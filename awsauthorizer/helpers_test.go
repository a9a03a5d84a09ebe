package awsauthorizer_test

import (
	"sync"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/mockidp"
)

// testSecret is the secret_key of the tests.
const testSecret = "9Wq2hJx7mL4vT8rK1pZ6cN3bF5dG0sYeUaQwErTyUiO="

// clock is a settable clock shared by the provider, the Manager and the
// authorizer.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testConfig is an app logging in with the mock provider's demo client.
func testConfig() *auth.Config {
	return &auth.Config{
		SecretKey:    testSecret,
		ClientID:     mockidp.DemoClientID,
		ClientSecret: mockidp.DemoClientSecret,
		Capabilities: capabilities.Config{Graph: map[string][]string{"read": {}, "user_management": {}}},
	}
}
