package dev.stanch.playbook;

import java.util.regex.Pattern;

/**
 * A rule-name pattern: {@code *} matches any run of characters, {@code ?} one character, anything
 * else itself. Case-sensitive, whole name, as detectors spell their rule names exactly.
 */
record RuleGlob(String pattern, Pattern regex) {

    static RuleGlob of(String pattern) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '*' || c == '?') {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return new RuleGlob(pattern, Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    boolean matches(String rule) {
        return regex.matcher(rule).matches();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
