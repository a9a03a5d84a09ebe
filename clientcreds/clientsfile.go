package clientcreds

import (
	"errors"
	"os"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/confdecode"
)

// LoadClientsFile reads a simple_oauth_server clients file: a YAML
// document whose only key is clients:, decoded by the configuration's
// rules (${NAME}, ~CRYPT~) and checked as the clients: section is. Every
// problem is reported, naming the file.
func LoadClientsFile(path string) (map[string]ClientConfig, error) {
	// ReadFile and Parse give a *ConfigError about the whole file.
	data, dir, err := confdecode.ReadFile(path)
	if err != nil {
		e := *err.(*auth.ConfigError)
		e.Key, e.Reason = "clients_file", "cannot read the clients file"
		return nil, &e
	}
	doc, err := confdecode.Parse(data)
	if err != nil {
		e := *err.(*auth.ConfigError)
		e.File = path
		return nil, &e
	}
	var file clientsFile
	_, decodeErr := confdecode.Decode(doc, &file, confdecode.Options{LookupEnv: os.LookupEnv, Dir: dir, File: path})
	var errs []error
	for _, id := range sortedKeys(file.Clients) {
		cl := file.Clients[id]
		for _, reason := range checkClientConfig(id, &cl) {
			errs = append(errs, &auth.ConfigError{File: path, Key: "clients." + id + reason[0], Reason: reason[1]})
		}
		file.Clients[id] = cl
	}
	if err := confdecode.Join(decodeErr, errors.Join(errs...)); err != nil {
		return nil, err
	}
	return file.Clients, nil
}
