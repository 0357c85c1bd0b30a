package dev.stanch.kafka;

import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.kafka.DetectionOutcomes.Outcome;
import dev.stanch.workflow.Intake;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.MessageListener;

/**
 * Takes one record of the detections topic in: normalizes its value and hands the detection to
 * {@link Intake#accept}, which stores it and records its action in one ledger transaction. The
 * container commits the offsets of a poll's records after this returned for them (ack mode {@code
 * BATCH}: once per poll, see {@link KafkaConfiguration}), so a record is committed only once its
 * detection is in the ledger — or once it is known not to belong there (ignored, or dead-lettered by
 * the error handler).
 *
 * <p>It is on the path of every record, duplicates by the thousand included: it logs at INFO only
 * what changed something (an action), and builds the debug lines only when they are wanted.
 *
 * <p>What it throws decides the record's fate ({@link KafkaConfiguration#errorHandler}): {@link
 * RejectedRecord} and any unexpected exception go to the dead-letter topic at once; {@link
 * TransientIntakeFailure} is delivered again with a backoff until it goes through.
 */
final class DetectionListener implements MessageListener<byte[], byte[]> {

    private static final Logger log = LoggerFactory.getLogger(DetectionListener.class);

    private final DetectionNormalizer normalizer;
    private final Intake intake;
    private final DetectionOutcomes outcomes;

    DetectionListener(DetectionNormalizer normalizer, Intake intake, DetectionOutcomes outcomes) {
        this.normalizer = normalizer;
        this.intake = intake;
        this.outcomes = outcomes;
    }

    @Override
    public void onMessage(ConsumerRecord<byte[], byte[]> record) {
        switch (normalizer.normalize(record.value())) {
            case Normalization.Normalized normalized -> accept(record, normalized.detection());
            case Normalization.Ignored ignored -> {
                outcomes.count(Outcome.IGNORED);
                if (log.isDebugEnabled()) {
                    log.debug("{}: ignored: {}", describe(record), ignored.reason());
                }
            }
            case Normalization.Rejected rejected -> throw new RejectedRecord(rejected.reason());
        }
    }

    private void accept(ConsumerRecord<byte[], byte[]> record, Detection detection) {
        Intake.Result result;
        try {
            result = intake.accept(detection);
        } catch (RuntimeException e) {
            if (TransientIntakeFailure.isTransient(e)) {
                throw new TransientIntakeFailure(
                        describe(record) + ": detection " + detection.id() + " not taken in yet: " + e.getMessage(), e);
            }
            throw e;
        }
        switch (result) {
            case Intake.Result.Acted acted -> {
                outcomes.count(Outcome.ACTED);
                log.info(
                        "{}: detection {} → action {} {}",
                        describe(record),
                        acted.detectionId(),
                        acted.action().id(),
                        acted.action().status().wireName());
            }
            case Intake.Result.Duplicate duplicate -> {
                outcomes.count(Outcome.DUPLICATE);
                if (log.isDebugEnabled()) {
                    log.debug("{}: detection {} seen before", describe(record), duplicate.detectionId());
                }
            }
            case Intake.Result.NoAction none -> {
                outcomes.count(Outcome.NO_ACTION);
                if (log.isDebugEnabled()) {
                    log.debug("{}: detection {}: no playbook acted", describe(record), none.detectionId());
                }
            }
        }
    }

    /** {@code topic-partition@offset (key namespace/pod)}: the key is the producer's, shortened and escaped for the log. */
    static String describe(ConsumerRecord<?, ?> record) {
        String where = record.topic() + "-" + record.partition() + "@" + record.offset();
        if (!(record.key() instanceof byte[] key)) {
            return where;
        }
        return where + " (key " + printable(new String(key, StandardCharsets.UTF_8), 100) + ")";
    }

    /** Control characters escaped, at most {@code max} characters: text from outside, made safe for a log line or a header. */
    static String printable(String text, int max) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() <= max; ) {
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        }
        if (out.length() > max) {
            int end = max - 1;
            if (end > 0 && Character.isHighSurrogate(out.charAt(end - 1))) {
                end--; // not half a surrogate pair
            }
            out.setLength(end);
            out.append('…');
        }
        return out.toString();
    }
}
