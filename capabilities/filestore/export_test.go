package filestore

// ScanUserFile and ParseUserYAML expose the two readers of user files.
func ScanUserFile(data []byte) ([]UserEntry, bool) {
	e, ok := scanUserFile(data)
	return exportEntries(e), ok
}

func ParseUserYAML(data []byte) ([]UserEntry, error) {
	e, err := parseUserYAML(data)
	return exportEntries(e), err
}

type UserEntry struct {
	Email string
	Caps  []string
	Line  int
}

func exportEntries(es []userEntry) []UserEntry {
	if es == nil {
		return nil
	}
	out := make([]UserEntry, len(es))
	for i, e := range es {
		out[i] = UserEntry{Email: e.email, Caps: e.caps, Line: e.line}
	}
	return out
}
