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

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(incident_ai_modalities -> incidents (incident_id));
diesel::joinable!(victims -> incidents (incident_id));
diesel::joinable!(subjects -> incidents (incident_id));
diesel::joinable!(incident_members -> incidents (incident_id));

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
);
