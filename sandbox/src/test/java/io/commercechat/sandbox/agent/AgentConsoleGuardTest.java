package io.commercechat.sandbox.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AgentConsoleGuardTest {

    @Test
    void everySpellingOfTheConsolePathIsGuarded() {
        for (String path : new String[] {"/agent", "/agent/", "/agent/index.html", "/agent/events", "//agent/status",
                "/agent;x/status", "/AGENT/status", "/agent%2Fstatus", "/agent\\status"}) {
            assertTrue(AgentConsoleGuard.isConsolePath(path), path);
        }
        for (String path : new String[] {"/", "/agents", "/agent-tools", "/bank/authorise", "/sandbox/faults", "/q/health/ready",
                "/commercechat.partner.v1.BankConnector/ListAccounts", ""}) {
            assertFalse(AgentConsoleGuard.isConsolePath(path), path);
        }
        assertFalse(AgentConsoleGuard.isConsolePath(null));
    }

    @Test
    void theHostPartOfAHostHeader() {
        assertEquals("127.0.0.1", AgentConsoleGuard.hostOf("127.0.0.1:8083"));
        assertEquals("localhost", AgentConsoleGuard.hostOf("LocalHost"));
        assertEquals("::1", AgentConsoleGuard.hostOf("[::1]:8083"));
        assertEquals("::1", AgentConsoleGuard.hostOf("[::1]"));
        assertEquals("evil.example", AgentConsoleGuard.hostOf("evil.example:8083"));
        // malformed: no host of ours to be had from them
        assertNull(AgentConsoleGuard.hostOf("localhost:80@evil.example"));
        assertNull(AgentConsoleGuard.hostOf("[::1"));
        assertNull(AgentConsoleGuard.hostOf("[::1]evil"));
        assertNull(AgentConsoleGuard.hostOf(":8083"));
        assertNull(AgentConsoleGuard.hostOf(""));
    }
}
