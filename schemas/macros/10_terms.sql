-- Index terms, defined once in SQL so the index writer and every query (the CLI, the
-- search macro, ad-hoc SQL) tokenise alike: lower-cased letter-or-digit runs, with
-- Harman's "S" stemmer folding plurals ("guarantees" -> "guarantee", "policies" -> "policy").
CREATE OR REPLACE MACRO na_stem(t) AS CASE
    WHEN length(t) > 4 AND suffix(t, 'ies') AND NOT suffix(t, 'eies') AND NOT suffix(t, 'aies')
        THEN left(t, length(t) - 3) || 'y'
    WHEN length(t) > 3 AND suffix(t, 'es') AND NOT suffix(t, 'aes') AND NOT suffix(t, 'ees') AND NOT suffix(t, 'oes')
        THEN left(t, length(t) - 1)
    WHEN length(t) > 3 AND suffix(t, 's') AND NOT suffix(t, 'us') AND NOT suffix(t, 'ss')
        THEN left(t, length(t) - 1)
    ELSE t
END;

CREATE OR REPLACE MACRO na_terms(txt) AS
    list_transform(regexp_extract_all(lower(coalesce(txt, '')), '[\pL\pN]+'), t -> na_stem(t));
