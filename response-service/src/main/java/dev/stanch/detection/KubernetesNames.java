package dev.stanch.detection;

import java.util.regex.Pattern;

/**
 * The name rules of the Kubernetes API server, for values Stanch writes into objects or labels:
 * refused here rather than by the API server halfway through an action.
 */
public final class KubernetesNames {

    private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS_1123_LABEL = Pattern.compile(LABEL);
    private static final Pattern DNS_1123_SUBDOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

    /** The longest DNS-1123 label: namespaces, container names, label values. */
    public static final int MAX_LABEL_LENGTH = 63;

    /** The longest DNS-1123 subdomain: pod names and most object names. */
    public static final int MAX_SUBDOMAIN_LENGTH = 253;

    private KubernetesNames() {}

    /** Lower-case alphanumerics and '-', starting and ending with an alphanumeric, at most 63. */
    public static boolean isDns1123Label(String value) {
        return value.length() <= MAX_LABEL_LENGTH
                && DNS_1123_LABEL.matcher(value).matches();
    }

    /** DNS-1123 labels joined by '.', at most 253. */
    public static boolean isDns1123Subdomain(String value) {
        return value.length() <= MAX_SUBDOMAIN_LENGTH
                && DNS_1123_SUBDOMAIN.matcher(value).matches();
    }
}
