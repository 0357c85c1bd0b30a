package dev.stanch.netpol;

import java.util.Objects;

/**
 * One end of a connection: a pod, a workload (which stands for its pods), or a range of external
 * addresses. {@link #toString()} gives np-guard's node notation ({@code ns/name[Kind]}, {@code
 * a.b.c.d-w.x.y.z[External]}), which is also how the connectivity report names nodes.
 */
public sealed interface Endpoint {

    static Endpoint pod(String namespace, String name) {
        return new Pod(namespace, name);
    }

    static Endpoint workload(String namespace, String kind, String name) {
        return new Workload(namespace, kind, name);
    }

    /** One address, IPv4 or IPv6. An address that is a known pod's IP is evaluated as that pod. */
    static Endpoint address(String ip) {
        return new External(IpRange.address(ip));
    }

    static Endpoint external(IpRange range) {
        return new External(range);
    }

    /**
     * A single pod: a bare pod, or one pod of a workload whose pods policies tell apart (for instance
     * after Stanch labelled it to cut one of its connections).
     *
     * @param namespace the pod's namespace
     * @param name the pod's name
     */
    record Pod(String namespace, String name) implements Endpoint {
        public Pod {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return namespace + "/" + name + "[Pod]";
        }
    }

    /**
     * A workload — Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job,
     * CronJob — standing for all its pods, which policies cannot tell apart.
     *
     * @param namespace the workload's namespace
     * @param kind the workload's kind, e.g. {@code Deployment}
     * @param name the workload's name
     */
    record Workload(String namespace, String kind, String name) implements Endpoint {
        public Workload {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return namespace + "/" + name + "[" + kind + "]";
        }
    }

    /**
     * Addresses outside the cluster's pods.
     *
     * @param range the addresses
     */
    record External(IpRange range) implements Endpoint {
        public External {
            Objects.requireNonNull(range, "range");
        }

        @Override
        public String toString() {
            return range + "[External]";
        }
    }
}
