BEGIN TRANSACTION;
CREATE TABLE file_classes (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    label       TEXT,
    comment     TEXT,
    properties  TEXT,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "file_classes" VALUES('links','Blockchain Entity.md',0,'http://narrativegoldmine.com/blockchain#BlockchainEntity','Blockchain Entity','The root class of the entities, components and mechanisms of blockchain systems.','{"id":["blockchain-entity-ontology","blockchain-entity-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["BC-0001"],"preferred-term":["Blockchain Entity"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"definition":["The root class of the entities, components and mechanisms of blockchain systems."],"maturity":["mature"],"owl:class":["bc:BlockchainEntity"],"owl:physicality":["VirtualEntity"],"owl:role":["Concept"],"belongsToDomain":["[[BlockchainDomain]]"]}');
INSERT INTO "file_classes" VALUES('links','Blockchain Entity.md',1,'http://metaverse-ontology.org/blockchain#BlockchainEntity','Blockchain Entity',NULL,NULL);
INSERT INTO "file_classes" VALUES('links','Distributed Protocol.md',0,'http://narrativegoldmine.com/blockchain#DistributedProtocol','Distributed Protocol','A Distributed Protocol is a formally specified set of rules, message formats, and procedures governing communication, coordination, and state synchronization among independent nodes in a distributed network without centralized control. Unlike centralized protocols where a single authoritative server coordinates client interactions, distributed protocols enable peer-to-peer coordination where participants jointly implement the protocol logic to achieve system-wide objectives. These protocols must address fundamental distributed systems challenges including asynchronous message delivery, network partitions, Byzantine failures (where nodes may behave arbitrarily or maliciously), and the impossibility of perfectly coordinating clocks across geographic distances. Blockchain distributed protocols encompass consensus protocols for agreeing on transaction ordering, gossip protocols for information dissemination, peer discovery protocols for network topology management, and state synchronization protocols for new node bootstrapping. Effective distributed protocols must specify normal operation (how honest nodes behave), failure handling (how to detect and recover from node failures), and attack resistance (how to maintain correctness despite adversarial participants), all while minimizing communication complexity and latency.','{"id":["distributed-protocol-ontology","distributed-protocol-relationships","distributed-protocol-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["PC-0006"],"preferred-term":["Distributed Protocol"],"source-domain":["metaverse"],"status":["complete"],"public-access":["true"],"version":["1.0.0"],"last-updated":["2025-11-08"],"definition":["A Distributed Protocol is a formally specified set of rules, message formats, and procedures governing communication, coordination, and state synchronization among independent nodes in a distributed network without centralized control. Unlike centralized protocols where a single authoritative server coordinates client interactions, distributed protocols enable peer-to-peer coordination where participants jointly implement the protocol logic to achieve system-wide objectives. These protocols must address fundamental distributed systems challenges including asynchronous message delivery, network partitions, Byzantine failures (where nodes may behave arbitrarily or maliciously), and the impossibility of perfectly coordinating clocks across geographic distances. Blockchain distributed protocols encompass consensus protocols for agreeing on transaction ordering, gossip protocols for information dissemination, peer discovery protocols for network topology management, and state synchronization protocols for new node bootstrapping. Effective distributed protocols must specify normal operation (how honest nodes behave), failure handling (how to detect and recover from node failures), and attack resistance (how to maintain correctness despite adversarial participants), all while minimizing communication complexity and latency."],"maturity":["mature"],"source":["[[Distributed Systems: Concepts and Design]], [[Byzantine Agreement Protocols]], [[Peer-to-Peer Networks]]"],"authority-score":["0.95"],"owl:class":["bc:DistributedProtocol"],"owl:physicality":["ConceptualEntity"],"owl:role":["Concept"],"owl:inferred-class":["ConceptualConcept"],"belongsToDomain":["[[BlockchainDomain]]"],"implementedInLayer":["[[ConceptualLayer]]"],"is-subclass-of":["[[Blockchain Entity]]"]}');
INSERT INTO "file_classes" VALUES('links','Distributed Protocol.md',1,'http://metaverse-ontology.org/blockchain#DistributedProtocol','Distributed Protocol','Formal specification governing peer-to-peer coordination without central control',NULL);
INSERT INTO "file_classes" VALUES('links','NetworkComponent.md',0,'http://narrativegoldmine.com/blockchain#NetworkComponent','Network Component','A part of the peer-to-peer network of a blockchain system: nodes, connections and the protocols between them.','{"id":["network-component-ontology","network-component-relationships","network-component-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["BC-0070"],"preferred-term":["Network Component"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"definition":["A part of the peer-to-peer network of a blockchain system: nodes, connections and the protocols between them."],"maturity":["mature"],"owl:class":["bc:NetworkComponent"],"owl:physicality":["VirtualEntity"],"owl:role":["Object"],"belongsToDomain":["[[BlockchainDomain]]"],"is-subclass-of":["[[Blockchain Entity]]"]}');
INSERT INTO "file_classes" VALUES('links','NetworkComponent.md',1,'http://metaverse-ontology.org/blockchain#NetworkComponent',NULL,NULL,NULL);
INSERT INTO "file_classes" VALUES('links','NetworkComponent.md',2,'http://metaverse-ontology.org/blockchain#NetworkNode',NULL,NULL,NULL);
INSERT INTO "file_classes" VALUES('links','Sybil Attack.md',0,'http://narrativegoldmine.com/blockchain#SybilAttack','Sybil Attack','Multiple identity attack within blockchain systems, providing essential functionality for distributed ledger technology operations and properties.','{"id":["sybil-attack-ontology","sybil-attack-relationships","sybil-attack-owl-axioms"],"collapsed":["true","true"],"domain-prefix":["BC"],"sequence-number":["0078"],"filename-history":["[\"BC-0078-sybil-attack.md\"]"],"public-access":["true"],"ontology":["true"],"term-id":["BC-0078"],"preferred-term":["Sybil Attack"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"last-updated":["2025-10-28"],"definition":["Multiple identity attack within blockchain systems, providing essential functionality for distributed ledger technology operations and properties."],"maturity":["mature"],"source":["[[ISO/IEC 23257:2021]], [[IEEE 2418.1]], [[NIST NISTIR]]"],"authority-score":["0.95"],"owl:class":["bc:SybilAttack"],"owl:physicality":["VirtualEntity"],"owl:role":["Object"],"owl:inferred-class":["bc:VirtualObject"],"belongsToDomain":["[[CryptographicDomain]]"],"blockchainRelevance":["High"],"lastValidated":["2025-11-14"],"implementedInLayer":["[[SecurityLayer]]"],"is-subclass-of":["[[Blockchain Entity]], [[NetworkComponent]]"]}');
INSERT INTO "file_classes" VALUES('links','Sybil Attack.md',1,'http://metaverse-ontology.org/blockchain#SybilAttack','Sybil Attack','Multiple identity attack',NULL);
CREATE TABLE file_edges (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "file_edges" VALUES('links','Distributed Protocol.md','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "file_edges" VALUES('links','NetworkComponent.md','http://metaverse-ontology.org/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "file_edges" VALUES('links','NetworkComponent.md','http://metaverse-ontology.org/blockchain#NetworkNode','http://metaverse-ontology.org/blockchain#NetworkComponent');
INSERT INTO "file_edges" VALUES('links','Sybil Attack.md','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "file_edges" VALUES('links','Sybil Attack.md','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent');
CREATE TABLE file_links (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    target      TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "file_links" VALUES('links','Distributed Protocol.md',0,'http://narrativegoldmine.com/blockchain#DistributedProtocol','blockchain entity');
INSERT INTO "file_links" VALUES('links','NetworkComponent.md',0,'http://narrativegoldmine.com/blockchain#NetworkComponent','blockchain entity');
INSERT INTO "file_links" VALUES('links','Sybil Attack.md',0,'http://narrativegoldmine.com/blockchain#SybilAttack','blockchain entity');
INSERT INTO "file_links" VALUES('links','Sybil Attack.md',1,'http://narrativegoldmine.com/blockchain#SybilAttack','networkcomponent');
CREATE TABLE file_pages (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    page_key    TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, page_key),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "file_pages" VALUES('links','Blockchain Entity.md','blockchain entity');
INSERT INTO "file_pages" VALUES('links','Distributed Protocol.md','distributed protocol');
INSERT INTO "file_pages" VALUES('links','NetworkComponent.md','networkcomponent');
INSERT INTO "file_pages" VALUES('links','Sybil Attack.md','sybil attack');
CREATE TABLE file_properties (
    ontology_id   TEXT NOT NULL,
    path          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    property_iri  TEXT NOT NULL,
    property_type TEXT NOT NULL,
    label         TEXT,
    domain        TEXT NOT NULL,
    range         TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "file_properties" VALUES('links','Distributed Protocol.md',0,'http://metaverse-ontology.org/blockchain#implementedBy','ObjectProperty',NULL,'["http://metaverse-ontology.org/blockchain#DistributedProtocol"]','["http://metaverse-ontology.org/blockchain#Node"]');
INSERT INTO "file_properties" VALUES('links','Distributed Protocol.md',1,'http://metaverse-ontology.org/blockchain#definesMessageFormat','ObjectProperty',NULL,'["http://metaverse-ontology.org/blockchain#DistributedProtocol"]','["http://metaverse-ontology.org/blockchain#MessageFormat"]');
CREATE TABLE http_cache (
    key       TEXT PRIMARY KEY,
    etag      TEXT NOT NULL,
    body      BLOB NOT NULL,
    stored_at TEXT NOT NULL
);
CREATE TABLE link_edges (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path, seq, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, path) REFERENCES sync_files (ontology_id, path) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "link_edges" VALUES('links','Distributed Protocol.md',0,'http://narrativegoldmine.com/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','Distributed Protocol.md',0,'http://narrativegoldmine.com/blockchain#DistributedProtocol','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','NetworkComponent.md',0,'http://narrativegoldmine.com/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','NetworkComponent.md',0,'http://narrativegoldmine.com/blockchain#NetworkComponent','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','Sybil Attack.md',0,'http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','Sybil Attack.md',1,'http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent');
INSERT INTO "link_edges" VALUES('links','Sybil Attack.md',1,'http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkNode');
INSERT INTO "link_edges" VALUES('links','Sybil Attack.md',0,'http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "link_edges" VALUES('links','Sybil Attack.md',1,'http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#NetworkComponent');
CREATE TABLE owl_axioms (
    id           INTEGER PRIMARY KEY,
    ontology_id  TEXT NOT NULL,
    axiom_type   TEXT NOT NULL CHECK (axiom_type IN ('SubClassOf', 'EquivalentClass',
                 'DisjointWith', 'ObjectPropertyAssertion', 'DataPropertyAssertion')),
    subject      TEXT NOT NULL,
    object       TEXT NOT NULL,
    annotations  TEXT,
    is_inferred  INTEGER NOT NULL DEFAULT 0 CHECK (is_inferred IN (0, 1)),
    created_at   TEXT NOT NULL,
    property_iri TEXT,
    source_path  TEXT NOT NULL,
    from_link    INTEGER NOT NULL DEFAULT 0 CHECK (from_link IN (0, 1))
);
INSERT INTO "owl_axioms" VALUES(1,'links','SubClassOf','http://metaverse-ontology.org/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity',NULL,0,'2026-12-06T10:20:25.439616Z',NULL,'NetworkComponent.md',0);
INSERT INTO "owl_axioms" VALUES(2,'links','SubClassOf','http://metaverse-ontology.org/blockchain#NetworkNode','http://metaverse-ontology.org/blockchain#NetworkComponent',NULL,0,'2026-12-06T10:20:25.439616Z',NULL,'NetworkComponent.md',0);
INSERT INTO "owl_axioms" VALUES(3,'links','SubClassOf','http://narrativegoldmine.com/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.439616Z',NULL,'NetworkComponent.md',1);
INSERT INTO "owl_axioms" VALUES(4,'links','SubClassOf','http://narrativegoldmine.com/blockchain#NetworkComponent','http://narrativegoldmine.com/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.439616Z',NULL,'NetworkComponent.md',1);
INSERT INTO "owl_axioms" VALUES(5,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(6,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectMinCardinality(2 <http://metaverse-ontology.org/blockchain#implementedBy> <http://metaverse-ontology.org/blockchain#Node>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(7,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','DataHasValue(<http://metaverse-ontology.org/blockchain#isDecentralized> "true"^^<http://www.w3.org/2001/XMLSchema#boolean>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(8,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','DataHasValue(<http://metaverse-ontology.org/blockchain#hasFormalSpecification> "true"^^<http://www.w3.org/2001/XMLSchema#boolean>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(9,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#definesMessageFormat> <http://metaverse-ontology.org/blockchain#MessageFormat>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(10,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#specifiesRule> <http://metaverse-ontology.org/blockchain#ProtocolRule>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(11,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','DataSomeValuesFrom(<http://metaverse-ontology.org/blockchain#toleratesByzantineFaults> <http://www.w3.org/2001/XMLSchema#boolean>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(12,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','DataSomeValuesFrom(<http://metaverse-ontology.org/blockchain#toleratesNetworkPartition> <http://www.w3.org/2001/XMLSchema#boolean>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(13,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','DataSomeValuesFrom(<http://metaverse-ontology.org/blockchain#toleratesAsynchrony> <http://www.w3.org/2001/XMLSchema#boolean>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(14,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#Node',NULL,0,'2026-12-06T10:20:25.442515Z','http://metaverse-ontology.org/blockchain#implementedBy','Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(15,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#MessageFormat',NULL,0,'2026-12-06T10:20:25.442515Z','http://metaverse-ontology.org/blockchain#definesMessageFormat','Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(16,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#ProtocolRule',NULL,0,'2026-12-06T10:20:25.442515Z','http://metaverse-ontology.org/blockchain#specifiesRule','Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(17,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#DistributedActivity',NULL,0,'2026-12-06T10:20:25.442515Z','http://metaverse-ontology.org/blockchain#coordinatesActivity','Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(18,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#SafetyProperty',NULL,0,'2026-12-06T10:20:25.442515Z','http://metaverse-ontology.org/blockchain#ensuresProperty','Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(19,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectUnionOf(<http://metaverse-ontology.org/blockchain#ConsensusProtocol> <http://metaverse-ontology.org/blockchain#GossipProtocol> <http://metaverse-ontology.org/blockchain#DiscoveryProtocol> <http://metaverse-ontology.org/blockchain#SynchronizationProtocol>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(20,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#ensuresProperty> <http://metaverse-ontology.org/blockchain#SafetyProperty>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(21,'links','SubClassOf','http://metaverse-ontology.org/blockchain#DistributedProtocol','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#ensuresProperty> <http://metaverse-ontology.org/blockchain#LivenessProperty>)',NULL,0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',0);
INSERT INTO "owl_axioms" VALUES(22,'links','SubClassOf','http://narrativegoldmine.com/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',1);
INSERT INTO "owl_axioms" VALUES(23,'links','SubClassOf','http://narrativegoldmine.com/blockchain#DistributedProtocol','http://narrativegoldmine.com/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.442515Z',NULL,'Distributed Protocol.md',1);
INSERT INTO "owl_axioms" VALUES(24,'links','SubClassOf','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent',NULL,0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(25,'links','SubClassOf','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity',NULL,0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(26,'links','SubClassOf','http://metaverse-ontology.org/blockchain#SybilAttack','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#partOf> <http://metaverse-ontology.org/blockchain#Blockchain>)',NULL,0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(27,'links','SubClassOf','http://metaverse-ontology.org/blockchain#SybilAttack','ObjectSomeValuesFrom(<http://metaverse-ontology.org/blockchain#hasProperty> <http://metaverse-ontology.org/blockchain#Property>)',NULL,0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(28,'links','DataPropertyAssertion','http://metaverse-ontology.org/blockchain#SybilAttack','"BC-0078"',NULL,0,'2026-12-06T10:20:25.446819Z','http://metaverse-ontology.org/blockchain#hasIdentifier','Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(29,'links','DataPropertyAssertion','http://metaverse-ontology.org/blockchain#SybilAttack','"1.0"^^<http://www.w3.org/2001/XMLSchema#decimal>',NULL,0,'2026-12-06T10:20:25.446819Z','http://metaverse-ontology.org/blockchain#hasAuthorityScore','Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(30,'links','DataPropertyAssertion','http://metaverse-ontology.org/blockchain#SybilAttack','"true"^^<http://www.w3.org/2001/XMLSchema#boolean>',NULL,0,'2026-12-06T10:20:25.446819Z','http://metaverse-ontology.org/blockchain#isFoundational','Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(31,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainFeature',NULL,0,'2026-12-06T10:20:25.446819Z','http://metaverse-ontology.org/blockchain#enablesFeature','Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(32,'links','ObjectPropertyAssertion','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#RelatedConcept',NULL,0,'2026-12-06T10:20:25.446819Z','http://metaverse-ontology.org/blockchain#relatesTo','Sybil Attack.md',0);
INSERT INTO "owl_axioms" VALUES(33,'links','SubClassOf','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',1);
INSERT INTO "owl_axioms" VALUES(34,'links','SubClassOf','http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#BlockchainEntity','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',1);
INSERT INTO "owl_axioms" VALUES(35,'links','SubClassOf','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',1);
INSERT INTO "owl_axioms" VALUES(36,'links','SubClassOf','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkNode','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',1);
INSERT INTO "owl_axioms" VALUES(37,'links','SubClassOf','http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#NetworkComponent','{"derived_from":"is-subclass-of"}',0,'2026-12-06T10:20:25.446819Z',NULL,'Sybil Attack.md',1);
CREATE TABLE owl_class_hierarchy (
    ontology_id TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    parent_iri  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, class_iri, parent_iri),
    FOREIGN KEY (ontology_id, class_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE,
    FOREIGN KEY (ontology_id, parent_iri)
        REFERENCES owl_classes (ontology_id, class_iri) ON DELETE CASCADE
) WITHOUT ROWID;
INSERT INTO "owl_class_hierarchy" VALUES('links','http://metaverse-ontology.org/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://metaverse-ontology.org/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#DistributedProtocol','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#NetworkComponent','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://metaverse-ontology.org/blockchain#NetworkNode','http://metaverse-ontology.org/blockchain#NetworkComponent');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://metaverse-ontology.org/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkComponent');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','http://metaverse-ontology.org/blockchain#NetworkNode');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#DistributedProtocol','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#NetworkComponent','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#BlockchainEntity');
INSERT INTO "owl_class_hierarchy" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','http://narrativegoldmine.com/blockchain#NetworkComponent');
CREATE TABLE owl_classes (
    ontology_id TEXT NOT NULL,
    class_iri   TEXT NOT NULL,
    label       TEXT,
    comment     TEXT,
    file_sha1   TEXT,
    properties  TEXT,
    last_synced TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (ontology_id, class_iri)
);
INSERT INTO "owl_classes" VALUES('links','http://metaverse-ontology.org/blockchain#BlockchainEntity','Blockchain Entity',NULL,'1a5554e8f25b7d149c9be44d18f61b37142ae53f',NULL,'2026-12-06T10:20:25.439486Z','2026-12-06T10:20:25.439486Z','2026-12-06T10:20:25.439486Z');
INSERT INTO "owl_classes" VALUES('links','http://narrativegoldmine.com/blockchain#BlockchainEntity','Blockchain Entity','The root class of the entities, components and mechanisms of blockchain systems.','1a5554e8f25b7d149c9be44d18f61b37142ae53f','{"id":["blockchain-entity-ontology","blockchain-entity-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["BC-0001"],"preferred-term":["Blockchain Entity"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"definition":["The root class of the entities, components and mechanisms of blockchain systems."],"maturity":["mature"],"owl:class":["bc:BlockchainEntity"],"owl:physicality":["VirtualEntity"],"owl:role":["Concept"],"belongsToDomain":["[[BlockchainDomain]]"]}','2026-12-06T10:20:25.439486Z','2026-12-06T10:20:25.439486Z','2026-12-06T10:20:25.439486Z');
INSERT INTO "owl_classes" VALUES('links','http://metaverse-ontology.org/blockchain#NetworkComponent',NULL,NULL,'ec1a0c7f5860f04c2d35cf37ce48e6a348f1d3bc',NULL,'2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z');
INSERT INTO "owl_classes" VALUES('links','http://metaverse-ontology.org/blockchain#NetworkNode',NULL,NULL,'ec1a0c7f5860f04c2d35cf37ce48e6a348f1d3bc',NULL,'2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z');
INSERT INTO "owl_classes" VALUES('links','http://narrativegoldmine.com/blockchain#NetworkComponent','Network Component','A part of the peer-to-peer network of a blockchain system: nodes, connections and the protocols between them.','ec1a0c7f5860f04c2d35cf37ce48e6a348f1d3bc','{"id":["network-component-ontology","network-component-relationships","network-component-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["BC-0070"],"preferred-term":["Network Component"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"definition":["A part of the peer-to-peer network of a blockchain system: nodes, connections and the protocols between them."],"maturity":["mature"],"owl:class":["bc:NetworkComponent"],"owl:physicality":["VirtualEntity"],"owl:role":["Object"],"belongsToDomain":["[[BlockchainDomain]]"],"is-subclass-of":["[[Blockchain Entity]]"]}','2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z','2026-12-06T10:20:25.439616Z');
INSERT INTO "owl_classes" VALUES('links','http://metaverse-ontology.org/blockchain#DistributedProtocol','Distributed Protocol','Formal specification governing peer-to-peer coordination without central control','b5bc75b4952c19382e676bf7052f1d5d5f7e6548',NULL,'2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_classes" VALUES('links','http://narrativegoldmine.com/blockchain#DistributedProtocol','Distributed Protocol','A Distributed Protocol is a formally specified set of rules, message formats, and procedures governing communication, coordination, and state synchronization among independent nodes in a distributed network without centralized control. Unlike centralized protocols where a single authoritative server coordinates client interactions, distributed protocols enable peer-to-peer coordination where participants jointly implement the protocol logic to achieve system-wide objectives. These protocols must address fundamental distributed systems challenges including asynchronous message delivery, network partitions, Byzantine failures (where nodes may behave arbitrarily or maliciously), and the impossibility of perfectly coordinating clocks across geographic distances. Blockchain distributed protocols encompass consensus protocols for agreeing on transaction ordering, gossip protocols for information dissemination, peer discovery protocols for network topology management, and state synchronization protocols for new node bootstrapping. Effective distributed protocols must specify normal operation (how honest nodes behave), failure handling (how to detect and recover from node failures), and attack resistance (how to maintain correctness despite adversarial participants), all while minimizing communication complexity and latency.','b5bc75b4952c19382e676bf7052f1d5d5f7e6548','{"id":["distributed-protocol-ontology","distributed-protocol-relationships","distributed-protocol-owl-axioms"],"collapsed":["true","true"],"ontology":["true"],"term-id":["PC-0006"],"preferred-term":["Distributed Protocol"],"source-domain":["metaverse"],"status":["complete"],"public-access":["true"],"version":["1.0.0"],"last-updated":["2025-11-08"],"definition":["A Distributed Protocol is a formally specified set of rules, message formats, and procedures governing communication, coordination, and state synchronization among independent nodes in a distributed network without centralized control. Unlike centralized protocols where a single authoritative server coordinates client interactions, distributed protocols enable peer-to-peer coordination where participants jointly implement the protocol logic to achieve system-wide objectives. These protocols must address fundamental distributed systems challenges including asynchronous message delivery, network partitions, Byzantine failures (where nodes may behave arbitrarily or maliciously), and the impossibility of perfectly coordinating clocks across geographic distances. Blockchain distributed protocols encompass consensus protocols for agreeing on transaction ordering, gossip protocols for information dissemination, peer discovery protocols for network topology management, and state synchronization protocols for new node bootstrapping. Effective distributed protocols must specify normal operation (how honest nodes behave), failure handling (how to detect and recover from node failures), and attack resistance (how to maintain correctness despite adversarial participants), all while minimizing communication complexity and latency."],"maturity":["mature"],"source":["[[Distributed Systems: Concepts and Design]], [[Byzantine Agreement Protocols]], [[Peer-to-Peer Networks]]"],"authority-score":["0.95"],"owl:class":["bc:DistributedProtocol"],"owl:physicality":["ConceptualEntity"],"owl:role":["Concept"],"owl:inferred-class":["ConceptualConcept"],"belongsToDomain":["[[BlockchainDomain]]"],"implementedInLayer":["[[ConceptualLayer]]"],"is-subclass-of":["[[Blockchain Entity]]"]}','2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_classes" VALUES('links','http://metaverse-ontology.org/blockchain#SybilAttack','Sybil Attack','Multiple identity attack','87344f8c693d1b0a64394bb53f77b8fa66d2843d',NULL,'2026-12-06T10:20:25.446819Z','2026-12-06T10:20:25.446819Z','2026-12-06T10:20:25.446819Z');
INSERT INTO "owl_classes" VALUES('links','http://narrativegoldmine.com/blockchain#SybilAttack','Sybil Attack','Multiple identity attack within blockchain systems, providing essential functionality for distributed ledger technology operations and properties.','87344f8c693d1b0a64394bb53f77b8fa66d2843d','{"id":["sybil-attack-ontology","sybil-attack-relationships","sybil-attack-owl-axioms"],"collapsed":["true","true"],"domain-prefix":["BC"],"sequence-number":["0078"],"filename-history":["[\"BC-0078-sybil-attack.md\"]"],"public-access":["true"],"ontology":["true"],"term-id":["BC-0078"],"preferred-term":["Sybil Attack"],"source-domain":["blockchain"],"status":["complete"],"version":["1.0.0"],"last-updated":["2025-10-28"],"definition":["Multiple identity attack within blockchain systems, providing essential functionality for distributed ledger technology operations and properties."],"maturity":["mature"],"source":["[[ISO/IEC 23257:2021]], [[IEEE 2418.1]], [[NIST NISTIR]]"],"authority-score":["0.95"],"owl:class":["bc:SybilAttack"],"owl:physicality":["VirtualEntity"],"owl:role":["Object"],"owl:inferred-class":["bc:VirtualObject"],"belongsToDomain":["[[CryptographicDomain]]"],"blockchainRelevance":["High"],"lastValidated":["2025-11-14"],"implementedInLayer":["[[SecurityLayer]]"],"is-subclass-of":["[[Blockchain Entity]], [[NetworkComponent]]"]}','2026-12-06T10:20:25.446819Z','2026-12-06T10:20:25.446819Z','2026-12-06T10:20:25.446819Z');
CREATE TABLE owl_other_axioms (
    id          INTEGER PRIMARY KEY,
    ontology_id TEXT NOT NULL,
    source_path TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
INSERT INTO "owl_other_axioms" VALUES(1,'links','Blockchain Entity.md','Import','Import(<http://metaverse-ontology.org/blockchain/core>)','2026-12-06T10:20:25.439486Z');
INSERT INTO "owl_other_axioms" VALUES(2,'links','NetworkComponent.md','Import','Import(<http://metaverse-ontology.org/blockchain/core>)','2026-12-06T10:20:25.439616Z');
INSERT INTO "owl_other_axioms" VALUES(3,'links','Distributed Protocol.md','Import','Import(<http://metaverse-ontology.org/blockchain/core>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(4,'links','Distributed Protocol.md','Import','Import(<http://metaverse-ontology.org/blockchain/PC-0001>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(5,'links','Distributed Protocol.md','DataPropertyAssertion','DataPropertyAssertion(<http://metaverse-ontology.org/blockchain#hasProtocolVersion> <http://metaverse-ontology.org/blockchain#DistributedProtocol> <http://www.w3.org/2001/XMLSchema#string>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(6,'links','Distributed Protocol.md','DataPropertyAssertion','DataPropertyAssertion(<http://metaverse-ontology.org/blockchain#hasCommunicationComplexity> <http://metaverse-ontology.org/blockchain#DistributedProtocol> <http://www.w3.org/2001/XMLSchema#string>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(7,'links','Distributed Protocol.md','DataPropertyAssertion','DataPropertyAssertion(<http://metaverse-ontology.org/blockchain#hasLatency> <http://metaverse-ontology.org/blockchain#DistributedProtocol> <http://www.w3.org/2001/XMLSchema#duration>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(8,'links','Distributed Protocol.md','DataPropertyAssertion','DataPropertyAssertion(<http://metaverse-ontology.org/blockchain#hasThroughput> <http://metaverse-ontology.org/blockchain#DistributedProtocol> <http://www.w3.org/2001/XMLSchema#decimal>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(9,'links','Distributed Protocol.md','DataPropertyAssertion','DataPropertyAssertion(<http://metaverse-ontology.org/blockchain#hasFaultToleranceThreshold> <http://metaverse-ontology.org/blockchain#DistributedProtocol> <http://www.w3.org/2001/XMLSchema#decimal>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(10,'links','Distributed Protocol.md','FunctionalDataProperty','FunctionalDataProperty(<http://metaverse-ontology.org/blockchain#hasProtocolVersion>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(11,'links','Distributed Protocol.md','AnnotationAssertion','AnnotationAssertion(<http://purl.org/dc/terms/description> <http://metaverse-ontology.org/blockchain#DistributedProtocol> "Rules and procedures for communication and coordination among independent network nodes"@en)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(12,'links','Distributed Protocol.md','AnnotationAssertion','AnnotationAssertion(<http://metaverse-ontology.org/blockchain#termID> <http://metaverse-ontology.org/blockchain#DistributedProtocol> "PC-0006")','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(13,'links','Distributed Protocol.md','AnnotationAssertion','AnnotationAssertion(<http://metaverse-ontology.org/blockchain#authorityScore> <http://metaverse-ontology.org/blockchain#DistributedProtocol> "0.95"^^<http://www.w3.org/2001/XMLSchema#decimal>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(14,'links','Distributed Protocol.md','AnnotationAssertion','AnnotationAssertion(<http://purl.org/dc/terms/created> <http://metaverse-ontology.org/blockchain#DistributedProtocol> "2025-11-08"^^<http://www.w3.org/2001/XMLSchema#date>)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(15,'links','Distributed Protocol.md','AnnotationAssertion','AnnotationAssertion(<http://www.w3.org/2004/02/skos/core#definition> <http://metaverse-ontology.org/blockchain#DistributedProtocol> "Formally specified rules governing coordination among independent nodes in distributed networks"@en)','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_other_axioms" VALUES(16,'links','Sybil Attack.md','Import','Import(<http://metaverse-ontology.org/blockchain/core>)','2026-12-06T10:20:25.446819Z');
INSERT INTO "owl_other_axioms" VALUES(17,'links','Sybil Attack.md','AnnotationAssertion','AnnotationAssertion(<http://purl.org/dc/terms/description> <http://metaverse-ontology.org/blockchain#SybilAttack> "Foundational blockchain concept with formal ontological definition"@en)','2026-12-06T10:20:25.446819Z');
INSERT INTO "owl_other_axioms" VALUES(18,'links','Sybil Attack.md','AnnotationAssertion','AnnotationAssertion(<http://metaverse-ontology.org/blockchain#termID> <http://metaverse-ontology.org/blockchain#SybilAttack> "BC-0078")','2026-12-06T10:20:25.446819Z');
INSERT INTO "owl_other_axioms" VALUES(19,'links','Sybil Attack.md','AnnotationAssertion','AnnotationAssertion(<http://metaverse-ontology.org/blockchain#priority> <http://metaverse-ontology.org/blockchain#SybilAttack> "1"^^<http://www.w3.org/2001/XMLSchema#integer>)','2026-12-06T10:20:25.446819Z');
INSERT INTO "owl_other_axioms" VALUES(20,'links','Sybil Attack.md','AnnotationAssertion','AnnotationAssertion(<http://metaverse-ontology.org/blockchain#category> <http://metaverse-ontology.org/blockchain#SybilAttack> "network-security"@en)','2026-12-06T10:20:25.446819Z');
CREATE TABLE owl_properties (
    ontology_id   TEXT NOT NULL,
    property_iri  TEXT NOT NULL,
    label         TEXT,
    property_type TEXT NOT NULL
        CHECK (property_type IN ('ObjectProperty', 'DataProperty', 'AnnotationProperty')),
    domain        TEXT NOT NULL DEFAULT '[]',
    range         TEXT NOT NULL DEFAULT '[]',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (ontology_id, property_iri)
);
INSERT INTO "owl_properties" VALUES('links','http://metaverse-ontology.org/blockchain#definesMessageFormat',NULL,'ObjectProperty','["http://metaverse-ontology.org/blockchain#DistributedProtocol"]','["http://metaverse-ontology.org/blockchain#MessageFormat"]','2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z');
INSERT INTO "owl_properties" VALUES('links','http://metaverse-ontology.org/blockchain#implementedBy',NULL,'ObjectProperty','["http://metaverse-ontology.org/blockchain#DistributedProtocol"]','["http://metaverse-ontology.org/blockchain#Node"]','2026-12-06T10:20:25.442515Z','2026-12-06T10:20:25.442515Z');
CREATE TABLE schema_version (
    version    INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL
);
INSERT INTO "schema_version" VALUES(1,'2026-12-06T10:20:25.408Z');
CREATE TABLE sync_failures (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    error_type  TEXT NOT NULL,
    message     TEXT NOT NULL,
    retryable   INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    sha         TEXT,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path)
);
CREATE TABLE sync_files (
    ontology_id TEXT NOT NULL,
    path        TEXT NOT NULL,
    blob_sha    TEXT NOT NULL,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (ontology_id, path)
);
INSERT INTO "sync_files" VALUES('links','Blockchain Entity.md','1a5554e8f25b7d149c9be44d18f61b37142ae53f','2026-12-06T10:20:25.439486Z');
INSERT INTO "sync_files" VALUES('links','NetworkComponent.md','ec1a0c7f5860f04c2d35cf37ce48e6a348f1d3bc','2026-12-06T10:20:25.439616Z');
INSERT INTO "sync_files" VALUES('links','Distributed Protocol.md','b5bc75b4952c19382e676bf7052f1d5d5f7e6548','2026-12-06T10:20:25.442515Z');
INSERT INTO "sync_files" VALUES('links','Sybil Attack.md','87344f8c693d1b0a64394bb53f77b8fa66d2843d','2026-12-06T10:20:25.446819Z');
CREATE TABLE sync_locks (
    ontology_id TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    acquired_at REAL NOT NULL,
    heartbeat   REAL NOT NULL
);
CREATE TABLE sync_runs (
    ontology_id TEXT NOT NULL,
    started_at  REAL NOT NULL,
    outcome     TEXT NOT NULL,
    report      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (ontology_id, started_at)
);
INSERT INTO "sync_runs" VALUES('links',1.79655242542014312746e+09,'succeeded','{"ontology_id": "links", "source": "/tmp/tmp4qzws_6a/pages", "commit": "7b77f004864a41b0825336ccf8588c1f08595d9a", "outcome": "succeeded", "files": {"listed": 4, "unchanged": 0, "processed": 4, "succeeded": 4, "failed": 0, "skipped": 0, "deleted": 0}, "rows": {"classes": 9, "properties": 2, "axioms": 28}, "started_at": 1796552425.4201431, "duration_s": 0.029601, "files_per_second": 135.13, "stages": {"listing": 0.004211, "fetching": 0.026052, "parsing": 0.032747, "writing": 0.018199, "rate_limited": 0.0}, "failures": [], "skipped": [], "warnings": [], "error": null}',2,'2026-12-06T10:20:25.450179Z');
CREATE INDEX idx_owl_classes_label ON owl_classes (ontology_id, label);
CREATE INDEX idx_owl_class_hierarchy_parent
    ON owl_class_hierarchy (ontology_id, parent_iri);
CREATE INDEX idx_owl_properties_type ON owl_properties (ontology_id, property_type);
CREATE INDEX idx_owl_axioms_subject ON owl_axioms (ontology_id, subject);
CREATE INDEX idx_owl_axioms_type ON owl_axioms (ontology_id, axiom_type);
CREATE INDEX idx_owl_axioms_source ON owl_axioms (ontology_id, source_path);
CREATE INDEX idx_owl_other_axioms_source
    ON owl_other_axioms (ontology_id, source_path);
CREATE INDEX idx_file_classes_iri ON file_classes (ontology_id, class_iri, path, seq);
CREATE INDEX idx_file_edges_edge ON file_edges (ontology_id, class_iri, parent_iri);
CREATE INDEX idx_file_properties_iri
    ON file_properties (ontology_id, property_iri, path, seq);
CREATE INDEX idx_file_links_target ON file_links (ontology_id, target);
CREATE INDEX idx_file_pages_key ON file_pages (ontology_id, page_key, path);
CREATE INDEX idx_link_edges_edge ON link_edges (ontology_id, class_iri, parent_iri);
CREATE TRIGGER sync_files_drop_axioms AFTER DELETE ON sync_files BEGIN
    DELETE FROM owl_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
    DELETE FROM owl_other_axioms WHERE ontology_id = OLD.ontology_id AND source_path = OLD.path;
END;
CREATE INDEX idx_sync_runs_seq ON sync_runs (ontology_id, seq);
COMMIT;
