-- Four eyes on disclosures (R-5.2.3): who filed a request is recorded apart
-- from who receives the data, so that neither decides it.
ALTER TABLE disclosures RENAME COLUMN requester TO recipient;
ALTER TABLE disclosures ADD COLUMN filed_by BLOB REFERENCES users(id);
-- The filer of an earlier request is the actor of its request event; ids
-- are 16-byte blobs here, payloads hold them in their hyphenated text form.
UPDATE disclosures SET filed_by = (
    SELECT e.actor FROM matter_events e
    WHERE e.matter_id = disclosures.matter_id
      AND e.kind = 'disclosure_requested'
      AND e.payload LIKE '%' || lower(substr(hex(disclosures.id), 1, 8) || '-' ||
          substr(hex(disclosures.id), 9, 4) || '-' || substr(hex(disclosures.id), 13, 4) || '-' ||
          substr(hex(disclosures.id), 17, 4) || '-' || substr(hex(disclosures.id), 21)) || '%'
    ORDER BY e.seq LIMIT 1);
UPDATE disclosures SET filed_by = recipient WHERE filed_by IS NULL;
CREATE INDEX disclosures_by_filer ON disclosures (filed_by, requested_at);
