// The one schema for both backends. Written by hand to match migrations/sqlite and
// migrations/postgres. `tests/schema.rs` checks that both migration sets build the same
// columns; the integration tests run every query through it on both backends.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        full_name -> Text,
        role -> Text,
        password_hash -> Text,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        user_id -> Text,
        token_sha256 -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    write_sequencer (id) {
        id -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        number -> Text,
        year -> Integer,
        seq -> Integer,
        title -> Text,
        summary -> Text,
        status -> Text,
        district -> Nullable<Text>,
        first_offense_date -> Nullable<Date>,
        last_offense_date -> Nullable<Date>,
        version -> Integer,
        created_by -> Text,
        created_at -> Timestamp,
        updated_by -> Text,
        updated_at -> Timestamp,
        first_offense_date_form -> Nullable<Text>,
        last_offense_date_form -> Nullable<Text>,
        victim_names_sensitive -> Bool,
    }
}

diesel::table! {
    incident_ai_modalities (incident_id, modality) {
        incident_id -> Text,
        modality -> Text,
    }
}

diesel::table! {
    victims (id) {
        id -> Text,
        incident_id -> Text,
        position -> Integer,
        name -> Text,
        kind -> Text,
        estimated_loss_cents -> Nullable<BigInt>,
        loss_bound -> Nullable<Text>,
        gain_cents -> Nullable<BigInt>,
        gain_bound -> Nullable<Text>,
        class_size -> Nullable<BigInt>,
        class_size_bound -> Nullable<Text>,
        notes -> Text,
    }
}

diesel::table! {
    subjects (id) {
        id -> Text,
        incident_id -> Text,
        position -> Integer,
        name -> Text,
        description -> Text,
    }
}

diesel::table! {
    incident_members (incident_id, user_id) {
        incident_id -> Text,
        user_id -> Text,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        incident_id -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    exhibits (id) {
        id -> Text,
        incident_id -> Text,
        number -> Text,
        seq -> Integer,
        parent_id -> Nullable<Text>,
        kind -> Text,
        description -> Text,
        source -> Text,
        acquisition_method -> Text,
        acquisition_tool -> Text,
        acquired_by -> Text,
        acquired_at -> Timestamp,
        acquisition_location -> Text,
        legal_authority -> Text,
        file_name -> Nullable<Text>,
        media_type -> Nullable<Text>,
        size_bytes -> Nullable<BigInt>,
        sha256 -> Nullable<Text>,
        sha1 -> Nullable<Text>,
        md5 -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    custody_events (id) {
        id -> Text,
        exhibit_id -> Text,
        seq -> Integer,
        action -> Text,
        actor_id -> Nullable<Text>,
        actor -> Text,
        from_custodian -> Nullable<Text>,
        to_custodian -> Nullable<Text>,
        occurred_at -> Timestamp,
        recorded_at -> Timestamp,
        location -> Nullable<Text>,
        purpose -> Nullable<Text>,
        authority -> Nullable<Text>,
        seal_number -> Nullable<Text>,
        seal_condition -> Nullable<Text>,
        digest_observed -> Nullable<Text>,
        digest_matched -> Nullable<Bool>,
        notes -> Text,
        prev_hash -> Text,
        event_hash -> Text,
        ledger_index -> BigInt,
    }
}

diesel::table! {
    analyses (id) {
        id -> Text,
        exhibit_id -> Text,
        seq -> Integer,
        kind -> Text,
        tool -> Text,
        tool_version -> Text,
        exhibit_sha256 -> Text,
        result -> Text,
        result_sha256 -> Text,
        preview -> Text,
        summary -> Text,
        custody_event_id -> Text,
        recorded_by -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    ledger_leaves (idx) {
        idx -> BigInt,
        kind -> Text,
        leaf -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    ledger_checkpoints (tree_size) {
        tree_size -> BigInt,
        root_hash -> Text,
        signed_note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_tiles (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hashes -> Binary,
    }
}

diesel::table! {
    exhibit_tags (exhibit_id, tag) {
        exhibit_id -> Text,
        tag -> Text,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    charges (id) {
        id -> Text,
        incident_id -> Text,
        seq -> Integer,
        offense_id -> Text,
        object_offense_id -> Nullable<Text>,
        concerns -> Text,
        offense_date -> Nullable<Date>,
        affects_financial_institution -> Bool,
        penalty_facts -> Text,
        status -> Text,
        drop_reason -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        predicate_charge_id -> Nullable<Text>,
        charged_on -> Nullable<Date>,
        charging_instrument -> Nullable<Text>,
        gain_cents -> Nullable<BigInt>,
        loss_cents -> Nullable<BigInt>,
        offense_date_form -> Nullable<Text>,
        gain_bound -> Nullable<Text>,
        loss_bound -> Nullable<Text>,
        limitation_listed -> Integer,
        limitation_deadline -> Nullable<Date>,
        limitation_catalog -> Text,
    }
}

diesel::table! {
    mappings (id) {
        id -> Text,
        incident_id -> Text,
        charge_id -> Text,
        element_id -> Text,
        exhibit_id -> Text,
        pin_kind -> Nullable<Text>,
        pin_cite -> Nullable<Text>,
        rationale -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        proposed_by -> Text,
        proposed_at -> Timestamp,
        updated_at -> Timestamp,
        catalog_checked -> Text,
    }
}

diesel::table! {
    mapping_reviews (id) {
        id -> Text,
        mapping_id -> Text,
        seq -> Integer,
        reviewer_id -> Nullable<Text>,
        decision -> Text,
        comment -> Text,
        exhibit_sha256 -> Nullable<Text>,
        catalog_version -> Text,
        element_fingerprint -> Text,
        reviewed_at -> Timestamp,
    }
}

diesel::table! {
    memo_versions (id) {
        id -> Text,
        incident_id -> Text,
        version -> Integer,
        author_id -> Text,
        created_at -> Timestamp,
        content -> Text,
        content_sha256 -> Text,
        checkpoint_size -> BigInt,
        checkpoint_root -> Text,
        catalog_version -> Text,
    }
}

diesel::table! {
    memo_approvals (id) {
        id -> Text,
        memo_version_id -> Text,
        approved_by -> Text,
        approved_at -> Timestamp,
        comment -> Text,
    }
}

diesel::table! {
    exhibit_verifications (id) {
        id -> Text,
        exhibit_id -> Text,
        verified_at -> Timestamp,
        intact -> Bool,
        problems -> Integer,
        first_problem -> Nullable<Text>,
        run_id -> Nullable<Text>,
    }
}

diesel::table! {
    verification_runs (id) {
        id -> Text,
        started_at -> Timestamp,
        finished_at -> Timestamp,
        incident_id -> Nullable<Text>,
        exhibit_id -> Nullable<Text>,
        exhibits -> Integer,
        failed -> Integer,
    }
}

diesel::table! {
    exhibit_last_verified (exhibit_id) {
        exhibit_id -> Text,
        verified_at -> Timestamp,
        run_id -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        address -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> BigInt,
        subject -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        incident_id -> Text,
        name -> Text,
        role -> Text,
        placeholder -> Nullable<Text>,
        aliases -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    charge_defendants (charge_id, person_id) {
        charge_id -> Text,
        person_id -> Text,
    }
}

diesel::table! {
    other_statutes (id) {
        id -> Text,
        incident_id -> Text,
        code -> Text,
        citation -> Text,
        title -> Text,
        max_years -> Nullable<Integer>,
        max_life -> Bool,
        min_years -> Integer,
        entered_by -> Text,
        entered_at -> Timestamp,
    }
}

diesel::table! {
    other_statute_elements (other_statute_id, position) {
        other_statute_id -> Text,
        position -> Integer,
        text -> Text,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(other_statutes -> incidents (incident_id));
diesel::joinable!(other_statutes -> users (entered_by));
diesel::joinable!(other_statute_elements -> other_statutes (other_statute_id));
diesel::joinable!(people -> incidents (incident_id));
diesel::joinable!(charge_defendants -> charges (charge_id));
diesel::joinable!(charge_defendants -> people (person_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(custody_events -> exhibits (exhibit_id));
diesel::joinable!(analyses -> exhibits (exhibit_id));
diesel::joinable!(exhibits -> incidents (incident_id));
diesel::joinable!(incident_ai_modalities -> incidents (incident_id));
diesel::joinable!(victims -> incidents (incident_id));
diesel::joinable!(subjects -> incidents (incident_id));
diesel::joinable!(incident_members -> incidents (incident_id));
diesel::joinable!(exhibit_tags -> exhibits (exhibit_id));
diesel::joinable!(charges -> incidents (incident_id));
diesel::joinable!(mappings -> charges (charge_id));
diesel::joinable!(mappings -> exhibits (exhibit_id));
diesel::joinable!(mappings -> incidents (incident_id));
diesel::joinable!(mapping_reviews -> mappings (mapping_id));
diesel::joinable!(memo_versions -> incidents (incident_id));
diesel::joinable!(memo_approvals -> memo_versions (memo_version_id));
diesel::joinable!(exhibit_verifications -> exhibits (exhibit_id));
diesel::joinable!(exhibit_last_verified -> exhibits (exhibit_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_tokens,
    write_sequencer,
    incidents,
    incident_ai_modalities,
    victims,
    subjects,
    incident_members,
    audit_events,
    exhibits,
    custody_events,
    analyses,
    ledger_leaves,
    ledger_checkpoints,
    ledger_tiles,
    exhibit_tags,
    charges,
    mappings,
    mapping_reviews,
    memo_versions,
    memo_approvals,
    exhibit_verifications,
    verification_runs,
    exhibit_last_verified,
    sessions,
    sign_in_failures,
    people,
    charge_defendants,
    other_statutes,
    other_statute_elements,
);
