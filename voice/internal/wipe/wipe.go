// Package wipe erases call secrets from memory at hang-up.
//
// Bytes clears buffers we own. Opaque clears the key state that the standard
// library keeps behind an unexported pointer (crypto/mlkem decapsulation keys,
// AES-GCM key schedules), which Go offers no way to erase: it follows the
// pointer and overwrites the pointee in place, but only when the pointee holds
// no pointers, so the garbage collector's view of memory can never be
// corrupted. A layout it cannot prove safe is refused with ErrUnsupported, and
// the tests of every caller fail on such a platform rather than leave a secret
// silently behind.
package wipe

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"
)

// ErrUnsupported is returned by Opaque for a value whose key state it cannot
// reach or cannot prove pointer-free.
var ErrUnsupported = errors.New("wipe: unsupported layout")

// Bytes overwrites b with zeros.
func Bytes(bs ...[]byte) {
	for _, b := range bs {
		clear(b)
	}
}

// Opaque overwrites with zeros the pointer-free state that x refers to. x is
// a pointer, or an interface holding one; the pointee is either pointer-free
// itself or a struct whose single field is a pointer to such state (the
// wrapper pattern of crypto/mlkem). The value must not be used afterwards.
func Opaque(x any) error {
	mem, err := state(x)
	if err != nil {
		return err
	}
	clear(mem)
	return nil
}

// IsZero reports whether the state Opaque would erase is all zeros. Tests use
// it to prove that hang-up erased a key.
func IsZero(x any) (bool, error) {
	mem, err := state(x)
	if err != nil {
		return false, err
	}
	for _, c := range mem {
		if c != 0 {
			return false, nil
		}
	}
	return true, nil
}

// state returns the bytes of the pointer-free object x leads to.
func state(x any) ([]byte, error) {
	v := reflect.ValueOf(x)
	for range 4 { // wrapper depth: interface -> *T -> T{p *U} -> *U
		if v.Kind() != reflect.Pointer || v.IsNil() {
			return nil, fmt.Errorf("%w: %T is not a non-nil pointer", ErrUnsupported, x)
		}
		elem := v.Type().Elem()
		if !hasPointers(elem) {
			if elem.Size() == 0 {
				return nil, fmt.Errorf("%w: %T has no state", ErrUnsupported, x)
			}
			return unsafe.Slice((*byte)(v.UnsafePointer()), elem.Size()), nil
		}
		if elem.Kind() != reflect.Struct || elem.NumField() != 1 || elem.Field(0).Type.Kind() != reflect.Pointer {
			return nil, fmt.Errorf("%w: %T holds pointers beside its key state", ErrUnsupported, x)
		}
		v = v.Elem().Field(0)
	}
	return nil, fmt.Errorf("%w: %T is wrapped too deeply", ErrUnsupported, x)
}

// hasPointers reports whether a value of type t contains anything the garbage
// collector traces.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	default: // pointers, slices, strings, maps, channels, funcs, interfaces
		return true
	}
}
