package dev.stanch.action;

import java.util.Objects;

/** A planner's answer: a plan, or a refusal with its reason. */
public sealed interface Planning {

    /**
     * The plan.
     *
     * @param plan what will change
     */
    record Planned(ActionPlan plan) implements Planning {
        public Planned {
            Objects.requireNonNull(plan, "plan");
        }
    }

    /**
     * Nothing will change, and why.
     *
     * @param reason the reason's class
     * @param message the reason, for people: names what is wrong
     */
    record Refused(Refusal reason, String message) implements Planning {
        public Refused {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return "refused (" + reason.wireName() + "): " + message;
        }
    }

    static Planning refuse(Refusal reason, String message) {
        return new Refused(reason, message);
    }
}
