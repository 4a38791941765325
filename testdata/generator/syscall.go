package main

import (
	"io"
	"os"
	"sync"
	"time"
)

func init() { register("syscall", runSyscall) }

// runSyscall plants time spent in blocking system calls and sleeping:
//   - fileWriter: 64 KiB writes to a temporary file, then fsync;
//   - fileReader: reads the file back in 64 KiB chunks;
//   - urandomReader: 1 MiB reads from /dev/urandom, long enough that the
//     runtime hands the P to another M while the call is in progress;
//   - sleeper: time.Sleep (blocked on a timer, not in a syscall).
func runSyscall(opts *options) error {
	dir, err := os.MkdirTemp("", "schedstat-syscall-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	return traced(opts.out, func() error {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		run := func(f func() error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f(); err != nil {
					errs <- err
				}
			}()
		}
		for i := 0; i < 2; i++ {
			name := dir + "/data" + string(rune('0'+i))
			run(func() error {
				if err := fileWriter(name, 32); err != nil {
					return err
				}
				return fileReader(name)
			})
		}
		run(func() error { return urandomReader(6) })
		run(func() error { sleeper(40, time.Millisecond); return nil })
		wg.Wait()
		close(errs)
		return <-errs
	})
}

// fileWriter writes chunks×64 KiB to a new file and syncs it.
//
//go:noinline
func fileWriter(name string, chunks int) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	buf := make([]byte, 64<<10)
	for i := 0; i < chunks; i++ {
		buf[0] = byte(i)
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileReader reads a file to the end in 64 KiB reads.
//
//go:noinline
func fileReader(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		_, err := f.Read(buf)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// urandomReader makes n 1 MiB reads from /dev/urandom (a few ms each).
//
//go:noinline
func urandomReader(n int) error {
	f, err := os.Open("/dev/urandom")
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(f, buf); err != nil {
			return err
		}
	}
	return nil
}

// sleeper sleeps n times for d.
//
//go:noinline
func sleeper(n int, d time.Duration) {
	for i := 0; i < n; i++ {
		time.Sleep(d)
	}
}
