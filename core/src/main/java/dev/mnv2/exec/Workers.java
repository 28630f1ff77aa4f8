package dev.mnv2.exec;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run the parts of one job at a time, the calling thread taking part too.
 * Parts are claimed from a counter tagged with the job's generation, so a late worker can never run a part
 * of a job that has finished. Idle workers spin briefly (layers follow each other within microseconds),
 * then park. Submitting allocates nothing.
 */
final class Workers implements AutoCloseable {
    /** One job: part {@code part} run by worker {@code worker} (0 is the caller). */
    interface Job {
        void run(int worker, int part);
    }

    private static final int SPINS = 20_000;

    private final Thread[] threads;
    /** High 32 bits: job generation; low 32 bits: next part to claim. */
    private final AtomicLong ticket = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Job job;
    private volatile int parts;
    private volatile Thread caller;
    private volatile boolean closed;
    private volatile Throwable failure;

    Workers(int count, String name) {
        threads = new Thread[count - 1];
        for (int i = 0; i < threads.length; i++) {
            int worker = i + 1;
            threads[i] = new Thread(() -> loop(worker), name + "-" + worker);
            threads[i].setDaemon(true);
            threads[i].start();
        }
    }

    /** Runs parts 0 … parts-1 of {@code job} on all workers and returns when every part has finished. */
    void run(Job job, int parts) {
        if (parts == 1 || threads.length == 0) {
            for (int p = 0; p < parts; p++) {
                job.run(0, p);
            }
            return;
        }
        // Close the last job's counter before job, parts and pending change: a worker that read its ticket
        // and then sees this job's larger part count must fail its claim, not take a part of this job under
        // the old generation (its run and its count down would let this job end with a part still running).
        long last = ticket.get() >>> 32;
        ticket.set((last << 32) | Integer.MAX_VALUE);
        this.job = job;
        this.parts = parts;
        this.caller = Thread.currentThread();
        this.failure = null;
        pending.set(parts);
        long generation = last + 1;
        ticket.set(generation << 32);
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        work(0, generation);
        for (int spins = 0; pending.get() > 0; spins++) {
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        Throwable t = failure;
        if (t != null) {
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            throw new IllegalStateException(t);
        }
    }

    private void work(int worker, long generation) {
        while (true) {
            long t = ticket.get();
            if (t >>> 32 != generation) return;
            int part = (int) t;
            Job current = job;
            if (part >= parts) return;
            if (!ticket.compareAndSet(t, t + 1)) continue;
            try {
                current.run(worker, part);
            } catch (Throwable e) {
                failure = e;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    private void loop(int worker) {
        long seen = 0;
        while (!closed) {
            long generation = ticket.get() >>> 32;
            if (generation == seen) {
                for (int spins = 0; spins < SPINS && (ticket.get() >>> 32) == seen && !closed; spins++) {
                    Thread.onSpinWait();
                }
                if ((ticket.get() >>> 32) == seen && !closed) {
                    LockSupport.park(this);
                }
                continue;
            }
            seen = generation;
            work(worker, generation);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
    }
}
