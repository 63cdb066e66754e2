// An outside verifier for Custos's ledger, built only from the Go team's
// golang.org/x/mod/sumdb/note and tlog (Debian: golang-golang-x-mod-dev).
//
// Usage: verify DIR, where DIR holds
//   verifier.key        the ledger's verifier key (custos ledger key)
//   checkpoint-new.txt  a signed checkpoint
//   checkpoint-old.txt  an earlier signed checkpoint
//   leaf.txt, leaf.index  one leaf's exact bytes and its index
//   inclusion.txt       that leaf's audit path in the new tree, one base64 hash per line
//   consistency.txt     the proof that the old tree is a prefix of the new, likewise
// It prints OK and exits 0 when the signatures, the inclusion and the consistency all verify.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: verify DIR")
	}
	dir := os.Args[1]
	read := func(name string) []byte {
		b, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			fail("%v", err)
		}
		return b
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(read("verifier.key"))))
	if err != nil {
		fail("verifier key: %v", err)
	}
	verifiers := note.VerifierList(verifier)
	open := func(name string) (int64, tlog.Hash) {
		n, err := note.Open(read(name), verifiers)
		if err != nil {
			fail("%s: %v", name, err)
		}
		lines := strings.Split(n.Text, "\n")
		if len(lines) < 3 {
			fail("%s: not a checkpoint", name)
		}
		size, err := strconv.ParseInt(lines[1], 10, 64)
		if err != nil {
			fail("%s: size: %v", name, err)
		}
		raw, err := base64.StdEncoding.DecodeString(lines[2])
		if err != nil || len(raw) != tlog.HashSize {
			fail("%s: root hash", name)
		}
		var root tlog.Hash
		copy(root[:], raw)
		fmt.Printf("OK signature: %s (origin %q, size %d)\n", name, lines[0], size)
		return size, root
	}
	hashes := func(name string) []tlog.Hash {
		var out []tlog.Hash
		for _, line := range strings.Split(strings.TrimSpace(string(read(name))), "\n") {
			if line == "" {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(line)
			if err != nil || len(raw) != tlog.HashSize {
				fail("%s: bad hash %q", name, line)
			}
			var h tlog.Hash
			copy(h[:], raw)
			out = append(out, h)
		}
		return out
	}
	newSize, newRoot := open("checkpoint-new.txt")
	oldSize, oldRoot := open("checkpoint-old.txt")
	index, err := strconv.ParseInt(strings.TrimSpace(string(read("leaf.index"))), 10, 64)
	if err != nil {
		fail("leaf.index: %v", err)
	}
	leaf := tlog.RecordHash(read("leaf.txt"))
	if err := tlog.CheckRecord(tlog.RecordProof(hashes("inclusion.txt")), newSize, newRoot, index, leaf); err != nil {
		fail("inclusion of leaf %d: %v", index, err)
	}
	fmt.Printf("OK inclusion: leaf %d is in the tree of size %d\n", index, newSize)
	if err := tlog.CheckTree(tlog.TreeProof(hashes("consistency.txt")), newSize, newRoot, oldSize, oldRoot); err != nil {
		fail("consistency %d -> %d: %v", oldSize, newSize, err)
	}
	fmt.Printf("OK consistency: tree %d is a prefix of tree %d\n", oldSize, newSize)
	fmt.Println("OK")
}
