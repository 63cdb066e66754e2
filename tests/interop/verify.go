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
//
// Usage: verify tiles URL DIR reads the log as a C2SP tlog-tiles client would: the
// checkpoint at URL/checkpoint and tiles at URL/tile/..., with the bearer token in
// $CUSTOS_TOKEN. x/mod's tile reader checks every tile against the signed root; the
// verifier then proves leaf.txt (at leaf.index) into that tree, and proves the tree of
// checkpoint-old.txt a prefix of it, from the tiles alone. DIR holds verifier.key, leaf.txt,
// leaf.index and checkpoint-old.txt.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
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

// tileServer reads tiles over HTTP. x/mod names a tile tile/H/L/N; C2SP's layout has no
// H (it is always 8), so the path served is tile/L/N.
type tileServer struct {
	base, token string
	fetched     int
}

func (s *tileServer) Height() int { return 8 }

func (s *tileServer) get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", s.base+"/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

func (s *tileServer) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
		data, err := s.get(path)
		if err != nil {
			return nil, err
		}
		s.fetched++
		out[i] = data
	}
	return out, nil
}

func (s *tileServer) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	tiles := len(os.Args) == 4 && os.Args[1] == "tiles"
	if len(os.Args) != 2 && !tiles {
		fail("usage: verify DIR | verify tiles URL DIR")
	}
	dir := os.Args[len(os.Args)-1]
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
	index, err := strconv.ParseInt(strings.TrimSpace(string(read("leaf.index"))), 10, 64)
	if err != nil {
		fail("leaf.index: %v", err)
	}
	leaf := tlog.RecordHash(read("leaf.txt"))
	if tiles {
		server := &tileServer{base: strings.TrimSuffix(os.Args[2], "/"), token: os.Getenv("CUSTOS_TOKEN")}
		checkpoint, err := server.get("checkpoint")
		if err != nil {
			fail("checkpoint: %v", err)
		}
		if err := os.WriteFile(dir+"/checkpoint-served.txt", checkpoint, 0o644); err != nil {
			fail("%v", err)
		}
		size, root := open("checkpoint-served.txt")
		oldSize, oldRoot := open("checkpoint-old.txt")
		reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, server)
		got, err := tlog.TreeHash(size, reader)
		if err != nil {
			fail("tree hash from tiles: %v", err)
		}
		if got != root {
			fail("the tiles hash to %v, the checkpoint says %v", got, root)
		}
		fmt.Printf("OK tiles: the tree of size %d hashes to the signed root\n", size)
		proof, err := tlog.ProveRecord(size, index, reader)
		if err != nil {
			fail("inclusion proof from tiles: %v", err)
		}
		if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
			fail("inclusion of leaf %d: %v", index, err)
		}
		fmt.Printf("OK inclusion: leaf %d is in the tree of size %d\n", index, size)
		treeProof, err := tlog.ProveTree(size, oldSize, reader)
		if err != nil {
			fail("consistency proof from tiles: %v", err)
		}
		if err := tlog.CheckTree(treeProof, size, root, oldSize, oldRoot); err != nil {
			fail("consistency %d -> %d: %v", oldSize, size, err)
		}
		fmt.Printf("OK consistency: tree %d is a prefix of tree %d\n", oldSize, size)
		fmt.Printf("OK %d tiles read\n", server.fetched)
		return
	}
	newSize, newRoot := open("checkpoint-new.txt")
	oldSize, oldRoot := open("checkpoint-old.txt")
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
