package capabilities

// NewGraphWalking builds a graph without precomputed closures, so that
// tests can run both closure strategies.
func NewGraphWalking(implications map[string][]string, autoAdmin bool) (*Graph, error) {
	return newGraph(implications, autoAdmin, 0)
}
