package capabilities

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownCapability is matched (with errors.Is) by every
// [*UnknownCapabilityError].
var ErrUnknownCapability = errors.New("capabilities: unknown capability")

// UnknownCapabilityError reports a capability name that the graph does not
// define. The fields other than Name say where it was found, when known.
type UnknownCapabilityError struct {
	// Name is the unknown capability.
	Name string
	// Key is the configuration key that holds it, such as
	// "capabilities.default_capabilities" or "graph".
	Key string
	// ImpliedBy is the capability whose implications name it.
	ImpliedBy string
	// File is the user file that holds it, and Line its line there.
	File string
	Line int
	// Email is the user whose capabilities hold it.
	Email string
}

func (e *UnknownCapabilityError) Error() string {
	var b strings.Builder
	switch {
	case e.Key == "":
		b.WriteString("capabilities")
	case strings.HasPrefix(e.Key, "capabilities"):
		b.WriteString(e.Key)
	default:
		b.WriteString("capabilities: ")
		b.WriteString(e.Key)
	}
	if e.File != "" {
		b.WriteString(": ")
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
	}
	if e.Email != "" {
		fmt.Fprintf(&b, ": user %q", e.Email)
	}
	if e.ImpliedBy != "" {
		fmt.Fprintf(&b, ": %q implies unknown capability %q", e.ImpliedBy, e.Name)
	} else {
		fmt.Fprintf(&b, ": unknown capability %q", e.Name)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrUnknownCapability) true.
func (e *UnknownCapabilityError) Is(target error) bool { return target == ErrUnknownCapability }

// ErrDelegation is matched (with errors.Is) by every [*DelegationError].
var ErrDelegation = errors.New("capabilities: delegation refused")

// DelegationError reports capabilities that a manager tried to grant or
// remove without holding them itself.
type DelegationError struct {
	// Missing lists, sorted, the capabilities the manager lacks.
	Missing []string
}

func (e *DelegationError) Error() string {
	q := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		q[i] = fmt.Sprintf("%q", m)
	}
	return "capabilities: cannot grant or remove capabilities not held: " + strings.Join(q, ", ")
}

// Is makes errors.Is(err, ErrDelegation) true.
func (e *DelegationError) Is(target error) bool { return target == ErrDelegation }

// keyed returns err with its configuration key set to key, when err is an
// [*UnknownCapabilityError]; other errors are returned as they are.
func keyed(err error, key string) error {
	var u *UnknownCapabilityError
	if errors.As(err, &u) {
		c := *u
		c.Key = key
		return &c
	}
	return err
}
