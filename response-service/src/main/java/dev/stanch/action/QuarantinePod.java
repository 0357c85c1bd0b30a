package dev.stanch.action;

import dev.stanch.playbook.ActionKind;
import java.util.List;

/** Work in progress of issue 4: refuses every request until its planner lands. */
public final class QuarantinePod implements ActionType {

    static final QuarantinePod INSTANCE = new QuarantinePod();

    private QuarantinePod() {}

    @Override
    public ActionKind kind() {
        return ActionKind.QUARANTINE_POD;
    }

    @Override
    public List<RbacRule> rbac() {
        return List.of();
    }

    @Override
    public Planning plan(PlanInput input, ClusterSnapshot cluster) {
        return new Planning.Refused(Refusal.UNSUPPORTED, kind().wireName() + " is not planned yet");
    }

    @Override
    public List<String> verify(ActionPlan plan, ClusterSnapshot cluster) {
        return List.of("not implemented");
    }
}
