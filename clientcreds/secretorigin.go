package clientcreds

import "strings"

// The plaintext-secret warning is for a secret written out in a file;
// one read from the environment or decrypted is what the warning asks
// for. The configuration decoder tells them apart (see IndirectValue).

// IndirectValue is called by the configuration loader with the key of
// each value that was not written out in the file (a ${NAME} reference or
// a ~CRYPT~ value): such a client secret starts without the plaintext
// warning. Apps do not call it.
func (c *Config) IndirectValue(key string) { markIndirectSecret(c.Clients, key) }

// clientsFile is a clients file as LoadClientsFile decodes it.
type clientsFile struct {
	Clients map[string]ClientConfig `yaml:"clients"`
}

// IndirectValue: see [Config.IndirectValue].
func (f *clientsFile) IndirectValue(key string) { markIndirectSecret(f.Clients, key) }

// markIndirectSecret records that the client secret at key
// ("clients.<id>.client_secret"), if it is one, is not written in the
// file.
func markIndirectSecret(clients map[string]ClientConfig, key string) {
	rest, ok := strings.CutPrefix(key, "clients.")
	if !ok {
		return
	}
	id, ok := strings.CutSuffix(rest, ".client_secret")
	if cl, found := clients[id]; ok && found {
		cl.secretIndirect = true
		clients[id] = cl
	}
}
