package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

// maxDiscoveryBytes bounds the discovery document kept in the cache.
const maxDiscoveryBytes = 1 << 20

// cachedDiscoveryOK reports whether the discovery cache file holds a
// discovery document of the configured provider: a gateway restarted
// while the provider is down is then ready at once, serving the sessions
// and tokens it can check without the provider.
func cachedDiscoveryOK(c *Config) bool {
	if c.DiscoveryCache == "" || c.Auth.ServerMetadataURL == "" {
		return false
	}
	data, err := os.ReadFile(c.DiscoveryCache)
	if err != nil {
		return false
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	return json.Unmarshal(data, &doc) == nil && issuerMatches(c, doc.Issuer)
}

// issuerMatches reports whether a discovery document naming issuer is
// the configured provider's: the issuer that the discovery URL names, or
// for provider microsoft, whose multi-tenant document names a template
// ("https://…/{tenantid}/v2.0"), that template (auth checks each ID
// token's issuer against it).
func issuerMatches(c *Config, issuer string) bool {
	want := strings.TrimSuffix(c.Auth.ServerMetadataURL, "/.well-known/openid-configuration")
	if issuer == "" {
		return false
	}
	return issuer == want || c.Auth.Provider == "microsoft" && strings.Contains(issuer, "{tenantid}")
}

// saveDiscovery fetches the discovery document again (once, after a
// successful discovery) and writes it to the cache file atomically and
// durably: a crash never leaves half a document for the next start.
func saveDiscovery(ctx context.Context, c *Config, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Auth.ServerMetadataURL, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("discovery answered %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
	if err != nil {
		return err
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if len(data) > maxDiscoveryBytes || json.Unmarshal(data, &doc) != nil || !issuerMatches(c, doc.Issuer) {
		return errors.New("the discovery document is not the configured provider's")
	}
	return atomicfile.Write(c.DiscoveryCache, data, 0o600)
}

// cacheDiscovery saves the document in the background, logging failures.
func (g *Gateway) cacheDiscovery(st *state) {
	if st.cfg.DiscoveryCache == "" || st.cfg.Auth.ServerMetadataURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(g.bg, 15*time.Second)
	defer cancel()
	if err := saveDiscovery(ctx, st.cfg, st.cfg.Auth.HTTPClient); err != nil {
		g.log.Warn("gateway: cannot keep the discovery document", "file", st.cfg.DiscoveryCache, "err", err)
	}
}
