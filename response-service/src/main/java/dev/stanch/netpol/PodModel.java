package dev.stanch.netpol;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the engine needs to know about one pod: where it lives, its labels, its named ports, who
 * owns it. Workload manifests contribute one pod built from their template.
 *
 * @param namespace the pod's namespace
 * @param name the pod's name (for a template pod, the workload's name)
 * @param labels the pod's labels
 * @param ports the container ports, for resolving named ports
 * @param owner the workload the pod belongs to, or {@code null} for a bare pod
 * @param addresses the pod's IPs, where known (a live cluster); never matched by ipBlocks
 * @param template true when the pod stands for a workload's template rather than a real pod
 */
record PodModel(
        String namespace,
        String name,
        Map<String, String> labels,
        List<ContainerPort> ports,
        @Nullable Owner owner,
        List<IpRange> addresses,
        boolean template) {

    PodModel {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = Map.copyOf(labels);
        ports = List.copyOf(ports);
        addresses = List.copyOf(addresses);
    }

    /** The node that stands for this pod when its owner's pods are alike. */
    Endpoint node() {
        return owner == null
                ? new Endpoint.Pod(namespace, name)
                : new Endpoint.Workload(namespace, owner.kind(), owner.name());
    }

    /**
     * The workload a pod belongs to.
     *
     * @param kind e.g. {@code Deployment}; {@code Pod} when the owner reference names no kind
     * @param name the workload's name
     */
    record Owner(String kind, String name) {}

    /**
     * One declared container port.
     *
     * @param name the port's name, or {@code null}
     * @param protocol its protocol (TCP when not declared)
     * @param port its number
     */
    record ContainerPort(@Nullable String name, Protocol protocol, int port) {}
}
