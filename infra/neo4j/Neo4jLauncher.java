// Embedded Neo4j 5.26 Community with Bolt, for `hartonomous stack up` (no Neo4j server install).
//
// Run in Java's single-file source mode, with the jars of infra/neo4j/pom.xml on the classpath:
//   java --add-opens=java.base/java.nio=ALL-UNNAMED ... -cp 'lib/*' \
//        infra/neo4j/Neo4jLauncher.java <home-dir> <neo4j.conf>
// The conf file (written by hartonomous.stack.neo4j) sets Bolt on 127.0.0.1, auth, page cache and
// directories. When the env var NEO4J_LAUNCHER_PASSWORD is set, the user named by
// NEO4J_LAUNCHER_USER (default neo4j) gets that password; otherwise auth is disabled in the conf.
// SIGTERM runs a shutdown hook that closes the databases cleanly.

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class Neo4jLauncher {
    private Neo4jLauncher() {}

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 2) {
            System.err.println("usage: Neo4jLauncher <home-dir> <neo4j.conf>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = Path.of(args[1]).toAbsolutePath();
        log("starting home=" + home + " conf=" + conf);

        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("stopping");
            dbms.shutdown();
            log("stopped");
            stopped.countDown();
        }, "neo4j-launcher-shutdown"));

        String password = System.getenv("NEO4J_LAUNCHER_PASSWORD");
        if (password != null && !password.isEmpty()) {
            String user = System.getenv().getOrDefault("NEO4J_LAUNCHER_USER", "neo4j");
            setPassword(dbms, user, password);
        }
        dbms.database("neo4j").executeTransactionally("RETURN 1");
        log("started");
        stopped.await();
    }

    private static void setPassword(DatabaseManagementService dbms, String user, String password) {
        var system = dbms.database("system");
        Map<String, Object> params = Map.of("user", user, "password", password);
        if ("neo4j".equals(user)) {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", params);
        } else {
            system.executeTransactionally(
                    "CREATE OR REPLACE USER $user SET PASSWORD $password CHANGE NOT REQUIRED", params);
        }
        log("password set for user " + user);
    }

    private static void log(String event) {
        System.out.println(Instant.now() + " neo4j-launcher " + event);
        System.out.flush();
    }
}
