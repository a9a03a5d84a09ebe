package pgstore

import "sync"

// live holds, by DSN and schema, a [Store] opened by [Open] and not yet
// closed, whose connections [OpenClients] uses instead of opening others.
var live = struct {
	sync.Mutex
	stores map[liveKey]*Store
}{stores: map[liveKey]*Store{}}

type liveKey struct{ dsn, schema string }

// share makes s, just opened by Open, the one OpenClients finds for its
// DSN and schema, unless another is already.
func (s *Store) share(dsn string) {
	live.Lock()
	defer live.Unlock()
	s.key = liveKey{dsn, s.schema}
	if _, taken := live.stores[s.key]; !taken {
		live.stores[s.key] = s
	}
}

// shared returns the live Store of dsn and schema ("" is [DefaultSchema])
// with one more holder, or nil.
func shared(dsn, schema string) *Store {
	if schema == "" {
		schema = DefaultSchema
	}
	live.Lock()
	defer live.Unlock()
	s := live.stores[liveKey{dsn, schema}]
	if s != nil {
		s.holders++
	}
	return s
}

// release ends one holder of s's connections, and closes them after the
// last.
func (s *Store) release() {
	live.Lock()
	s.holders--
	last := s.holders == 0
	if last && live.stores[s.key] == s {
		delete(live.stores, s.key)
	}
	live.Unlock()
	if last {
		s.closed.Store(true)
		s.stop()
		<-s.done
		s.pool.Close()
	}
}
