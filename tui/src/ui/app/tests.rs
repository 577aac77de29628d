//! Tests of the state machine: keys and server messages in, state and effects out.
