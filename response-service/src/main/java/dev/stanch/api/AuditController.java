package dev.stanch.api;

import dev.stanch.api.ApiViews.AuditVerificationView;
import dev.stanch.ledger.Ledger;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.Objects;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The audit log's hash chain, verified on demand. */
@RestController
@RequestMapping(path = "/api/v1/audit", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "audit", description = "The hash-chained audit log")
public class AuditController {

    private final Ledger ledger;

    public AuditController(Ledger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    @GetMapping("/verify")
    @Operation(
            operationId = "verifyAudit",
            summary = "Walk the audit chain and report every broken row",
            description = "intact is true when no row was edited, deleted or inserted behind the ledger's back;"
                    + " otherwise breaks names each row (docs/architecture.md, \"The hash chain\").")
    public AuditVerificationView verify() {
        return AuditVerificationView.of(ledger.verify());
    }
}
