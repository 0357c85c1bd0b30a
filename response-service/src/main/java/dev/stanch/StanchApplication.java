package dev.stanch;

import dev.stanch.cli.Cli;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * One jar, two faces: with a CLI command as its first argument it runs that command offline,
 * without starting Spring; without one it starts the service.
 */
@SpringBootApplication
public class StanchApplication {

    public static void main(String[] args) {
        if (Cli.handles(args)) {
            System.exit(Cli.run(args));
        }
        SpringApplication.run(StanchApplication.class, args);
    }
}
