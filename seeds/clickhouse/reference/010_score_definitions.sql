-- Reference data: the score definitions every installation starts with. score_definitions is a
-- ReplacingMergeTree ordered by name, so when this file changes and runs again its rows replace
-- the earlier ones (db-migrate runs OPTIMIZE TABLE ... FINAL after a seed so the old rows go at
-- once); the newest updated_at wins.
INSERT INTO score_definitions (name, data_type, min_value, max_value, categories, description) VALUES
    ('correctness',  'numeric',     0, 1,       [], 'Is the answer factually right? 0 = wrong, 1 = fully correct.'),
    ('helpfulness',  'numeric',     1, 5,       [], 'How useful is the answer to the user, from 1 to 5.'),
    ('toxicity',     'numeric',     0, 1,       [], 'Share of the answer judged toxic by the classifier.'),
    ('hallucination','boolean',     NULL, NULL, [], 'Does the answer state facts the sources do not support?'),
    ('user_feedback','categorical', NULL, NULL, ['thumbs_up', 'thumbs_down'], 'Thumbs up or down from the end user.'),
    ('latency_ok',   'boolean',     NULL, NULL, [], 'Answered within the latency budget of the project.');
